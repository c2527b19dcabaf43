/**
 * `jobtree submit --follow` and `jobtree show ROOT --follow` (SPEC §8): the
 * tree live from status:subscribe (a snapshot, then newer events; a graft
 * asks for a new snapshot, never an HTTP read that could miss an event)
 * with the logs of running jobs prefixed by their titles, and its pauses. On a
 * terminal the tree is redrawn in place under the log lines; piped, every
 * change is a plain line. Resolves with 0 when the tree succeeds, 1 when
 * it fails or aborts.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServer, ServerToClient } from '../../logstream/events.js';
import { applyPaused, applyStatus, fromSnapshot, type LiveTree } from '../../jobtree/live-tree.js';
import { LineSplitter } from '../../shared/log-bytes.js';
import type { NestedJob, StatusEvent } from '../../shared/types.js';
import { type ApiClient, CliError, EXIT } from '../client.js';
import { renderTree } from '../render-tree.js';
import { visibleControls } from '../visible.js';

export interface Screen {
  isTTY: boolean;
  /** Print job output as it is, control sequences and all (`--raw`, SPEC §18). */
  raw?: boolean;
  write(text: string): void;
}

/** "2026-…Z stdout text" → "stdout text" (the time is the reader's own). */
function withoutTime(line: string): string {
  const i = line.indexOf(' ');
  return i > 0 ? line.slice(i + 1) : line;
}

export function followTree(client: ApiClient, root: string, screen: Screen): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket: Socket<ServerToClient, ClientToServer> = io(client.server, {
      auth: client.token ? { token: client.token } : {},
      transports: ['websocket'],
    });
    // the one live-tree core (src/jobtree/live-tree.ts) and, per job, the one byte-offset core
    let live: LiveTree | null = null;
    const following = new Map<string, { bytes: LineSplitter; ended: boolean }>();
    let drawnLines = 0;
    let finished = false;
    let lastPaused: boolean | undefined;

    const draw = (logLines: string[]): void => {
      if (!live) return;
      if (!screen.isTTY) {
        for (const l of logLines) screen.write(`${l}\n`);
        return;
      }
      const picture = renderTree(live.view);
      // move up over the last picture, clear it, print new log lines, then the tree again
      const up = drawnLines > 0 ? `\x1b[${drawnLines}A\x1b[0J` : '';
      screen.write(`${up}${logLines.map((l) => `${l}\n`).join('')}${picture}\n`);
      drawnLines = picture.split('\n').length;
    };
    const subscribeLog = (job: NestedJob): void => {
      if (following.has(job.id) || job.state === 'WAITING' || job.state === 'QUEUED') return;
      const f = { bytes: new LineSplitter(0), ended: false };
      following.set(job.id, f);
      socket.emit('log:subscribe', { job: job.id, offset: f.bytes.next });
    };
    const finishIfDone = (): void => {
      if (finished || !live || live.view.state === 'RUNNING') return;
      if ([...following.values()].some((f) => !f.ended)) return;
      finished = true;
      if (!screen.isTTY) screen.write(`${renderTree(live.view)}\n`);
      socket.close();
      resolve(live.view.state === 'SUCCESS' ? EXIT.OK : EXIT.TREE_FAILED);
    };

    socket.on('connect', () => {
      socket.emit('status:subscribe', { root });
      for (const [id, f] of following)
        if (!f.ended) socket.emit('log:subscribe', { job: id, offset: f.bytes.next });
    });
    socket.on('connect_error', (err) => {
      socket.close();
      reject(new CliError(`cannot follow at ${client.server}: ${err.message}`, EXIT.UNREACHABLE));
    });
    socket.on('tree', (m) => {
      if (m.root !== root) return;
      live = fromSnapshot(m.tree, m.seq, lastPaused);
      draw([]);
      for (const j of live.jobs.values()) subscribeLog(j);
      finishIfDone();
    });
    socket.on('status', (e: StatusEvent) => {
      if (e.root !== root || !live) return;
      const applied = applyStatus(live, e);
      // a grafted job: a new snapshot has it, and every event after it (nothing is lost)
      if (applied === 'unknown') socket.emit('status:subscribe', { root });
      if (applied !== 'applied') return;
      const job = live.jobs.get(e.job) as NestedJob; // applied: the tree has it
      const lines = screen.isTTY
        ? []
        : [`${visibleControls(job.title)}: ${e.prev ?? 'new'} → ${e.state} @${e.node}`];
      subscribeLog(job);
      draw(lines);
      finishIfDone();
    });
    socket.on('tree:paused', (m) => {
      if (m.root !== root) return;
      lastPaused = m.paused;
      if (!live || !applyPaused(live, m.paused)) return;
      draw(screen.isTTY ? [] : [`tree ${m.paused ? 'paused' : 'resumed'}`]);
    });
    socket.on('log:data', (m) => {
      const f = following.get(m.job);
      const job = live?.jobs.get(m.job);
      if (!f || !job) return;
      const lines = f.bytes.push(m.offset, m.data);
      if (lines === null) {
        socket.emit('log:subscribe', { job: m.job, offset: f.bytes.next }); // a gap: ask again
        return;
      }
      const title = visibleControls(job.title);
      draw(
        lines.map(
          (l) => `${title} | ${screen.raw ? withoutTime(l) : visibleControls(withoutTime(l))}`,
        ),
      );
    });
    const end = (id: string): void => {
      const f = following.get(id);
      if (!f) return;
      const job = live?.jobs.get(id);
      const rest = f.bytes.flush();
      if (job && rest.length > 0) draw(rest.map((l) => `${visibleControls(job.title)} | ${l}`));
      f.ended = true;
      finishIfDone();
    };
    socket.on('log:end', (m) => end(m.job));
    socket.on('log:error', (m) => end(m.job));
  });
}
