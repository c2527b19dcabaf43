/**
 * The log-streaming figures of issue 3: how long a line takes from being
 * written to reaching a socket.io subscriber on the same node and on
 * another node (relayed), and how fast a finished ~100 MB log streams to a
 * subscriber on another node. Two agent processes: `owner` runs the jobs,
 * `front` relays.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServer, ServerToClient } from '../src/logstream/events.js';
import { median, nowMs, percentile, Rig, round } from './rig.js';

type Client = Socket<ServerToClient, ClientToServer>;

async function connect(url: string): Promise<Client> {
  const socket: Client = io(url, { transports: ['websocket'] });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return socket;
}

/** Subscribes and records, per line carrying `t=<ms>`, how late it arrived. */
function measureLines(socket: Client, job: string, into: number[]): Promise<void> {
  return new Promise((resolve) => {
    let partial = '';
    socket.on('log:data', (m) => {
      const now = nowMs();
      const parts = (partial + m.data).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        const t = /\bt=([\d.]+)$/.exec(line);
        if (t) into.push(now - Number(t[1]));
      }
    });
    socket.on('log:end', () => resolve());
    socket.emit('log:subscribe', { job, offset: 0 });
  });
}

export async function logFigures(
  redisUrl: string,
  prefix: string,
): Promise<Record<string, number>> {
  const owner = await Rig.start(redisUrl, prefix, 4, 'owner');
  const front = await Rig.start(redisUrl, prefix, 4, 'front');
  const sockets: Client[] = [];
  try {
    const local = await connect(owner.url);
    const relayed = await connect(front.url);
    sockets.push(local, relayed);
    const talk = await owner.submit({
      title: 'talk',
      type: 'talk',
      node: 'owner',
      params: { lines: 300, ms: 5 },
    });
    const localLat: number[] = [];
    const relayedLat: number[] = [];
    await Promise.all([
      measureLines(local, talk, localLat),
      measureLines(relayed, talk, relayedLat),
    ]);
    // the first lines of a log wait for the file's creation (FIRST_FLUSH_MS): leave them out
    const steady = (xs: number[]): number[] => xs.slice(10);

    const blast = await owner.runTreeRoot({
      title: 'blast',
      type: 'blast',
      node: 'owner',
      params: { mb: 100 },
    });
    const reader = await connect(front.url);
    sockets.push(reader);
    const t0 = nowMs();
    const size = await new Promise<number>((resolve) => {
      reader.on('log:end', (m) => resolve(m.size));
      reader.on('log:data', () => undefined);
      reader.emit('log:subscribe', { job: blast, offset: 0 });
    });
    const seconds = (nowMs() - t0) / 1000;
    const usage = await front.stop();
    return {
      line_local_median_ms: round(median(steady(localLat))),
      line_local_p99_ms: round(percentile(steady(localLat), 99)),
      line_relayed_median_ms: round(median(steady(relayedLat))),
      line_relayed_p99_ms: round(percentile(steady(relayedLat), 99)),
      stream_mb: round(size / 1024 / 1024, 1),
      stream_relayed_mb_per_s: round(size / 1024 / 1024 / seconds, 1),
      front_max_rss_mb: usage.agent_max_rss_mb ?? NaN,
    };
  } finally {
    for (const s of sockets) s.close();
    await front.stop();
    await owner.stop();
  }
}
