/**
 * The cluster-wide log figures of SPEC §19, on three agent processes
 * (nodes n1, n2, n3):
 * - `merged`: a merged tail of a running 1,000-job tree subscribed on n1:
 *   how long until its first line, and how late each line arrives after
 *   it was written (every line carries the monotonic time of its write;
 *   CLOCK_MONOTONIC is one clock for every process of the machine);
 * - `search`: a search asked of n1 through 100 MB of logs, a third on
 *   each node, for a text none holds (every byte is read).
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServer, ServerToClient } from '../src/logstream/events.js';
import { median, nowMs, percentile, Rig, round } from './rig.js';

type Client = Socket<ServerToClient, ClientToServer>;

const NODES = ['n1', 'n2', 'n3'];

async function threeRigs(redisUrl: string, prefix: string, conc: number): Promise<Rig[]> {
  return Promise.all(NODES.map((n) => Rig.start(redisUrl, prefix, conc, n)));
}

async function connect(url: string): Promise<Client> {
  const socket: Client = io(url, { transports: ['websocket'] });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

export async function mergedTailFigures(
  redisUrl: string,
  prefix: string,
): Promise<Record<string, number>> {
  const rigs = await threeRigs(redisUrl, prefix, 16);
  const [front] = rigs as [Rig];
  let socket: Client | undefined;
  try {
    // 1,000 jobs on any node, each writing 5 lines 20 ms apart
    const jobs = 1000;
    const root = await front.submit({
      title: 'merged',
      type: 'noop',
      children: Array.from({ length: jobs }, (_, i) => ({
        title: `talk ${i}`,
        type: 'talk',
        params: { lines: 5, ms: 20 },
      })),
    });
    await new Promise((r) => setTimeout(r, 300)); // running on every node
    socket = await connect(front.url);
    const late: number[] = [];
    let firstMs = NaN;
    let lines = 0;
    const t0 = nowMs();
    await new Promise<void>((resolve) => {
      socket?.on('logs:data', (m) => {
        const now = nowMs();
        if (Number.isNaN(firstMs) && m.lines.length > 0) firstMs = now - t0;
        for (const l of m.lines) {
          lines += 1;
          const t = /^t=([\d.]+)$/.exec(l.text);
          // the history (lines written before the subscription) is not a delay
          if (t && Number(t[1]) > t0) late.push(now - Number(t[1]));
        }
      });
      socket?.on('logs:end', () => resolve());
      socket?.emit('logs:subscribe', { sub: 'bench', scope: { root } });
    });
    return {
      jobs,
      nodes: NODES.length,
      lines,
      first_line_ms: round(firstMs),
      line_median_ms: round(median(late)),
      line_p99_ms: round(percentile(late, 99)),
    };
  } finally {
    socket?.close();
    await Promise.all(rigs.map((r) => r.stop()));
  }
}

export async function searchFigures(
  redisUrl: string,
  prefix: string,
): Promise<Record<string, number>> {
  const rigs = await threeRigs(redisUrl, prefix, 4);
  const [front] = rigs as [Rig];
  try {
    const root = await front.runTreeRoot({
      title: 'search',
      type: 'noop',
      // 100 MB in all: 34 logs of ~1 MiB on each node
      children: NODES.flatMap((node) =>
        Array.from({ length: 34 }, (_, i) => ({
          title: `${node} log ${i}`,
          type: 'blast',
          node,
          params: { mb: 1, word: `${node}-${i} ` },
        })),
      ),
    });
    const t0 = nowMs();
    const res = await fetch(`${front.url}/api/v1/logs/search?root=${root}&q=needle&limit=10`);
    const body = (await res.json()) as {
      matches: unknown[];
      next: string | null;
      scanned: { bytes: number; jobs: number };
    };
    const ms = nowMs() - t0;
    return {
      search_ms: round(ms),
      scanned_mb: round(body.scanned.bytes / 1024 / 1024, 1),
      scanned_jobs: body.scanned.jobs,
      finished: body.next === null ? 1 : 0,
      matches: body.matches.length,
    };
  } finally {
    await Promise.all(rigs.map((r) => r.stop()));
  }
}
