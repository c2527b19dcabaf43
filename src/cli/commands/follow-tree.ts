/**
 * `jobtree submit --follow` and `jobtree show ROOT --follow` (SPEC §8): the
 * tree live from status:subscribe (a snapshot, then newer events) with the
 * logs of running jobs prefixed by their titles, and its pauses. On a
 * terminal the tree is redrawn in place under the log lines; piped, every
 * change is a plain line. Resolves with 0 when the tree succeeds, 1 when
 * it fails or aborts.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServer, ServerToClient } from '../../logstream/events.js';
import { isTerminal } from '../../jobtree/states.js';
import type { NestedJob, StatusEvent, TreeView } from '../../shared/types.js';
import { type ApiClient, CliError, EXIT } from '../client.js';
import { renderTree } from '../render-tree.js';
import { visibleControls } from '../visible.js';

export interface Screen {
  isTTY: boolean;
  /** Print job output as it is, control sequences and all (`--raw`, SPEC §18). */
  raw?: boolean;
  write(text: string): void;
}

function index(job: NestedJob, into = new Map<string, NestedJob>()): Map<string, NestedJob> {
  into.set(job.id, job);
  for (const c of job.children) index(c, into);
  return into;
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
    let tree: TreeView | null = null;
    let jobs = new Map<string, NestedJob>();
    const following = new Map<string, { next: number; partial: string; ended: boolean }>();
    let drawnLines = 0;
    let finished = false;
    // Pause hints come in the order they were written, each after its write,
    // so the last one heard is never older than a snapshot read before it.
    let lastPaused: boolean | undefined;

    const draw = (logLines: string[]): void => {
      if (!tree) return;
      if (!screen.isTTY) {
        for (const l of logLines) screen.write(`${l}\n`);
        return;
      }
      const picture = renderTree(tree);
      // move up over the last picture, clear it, print new log lines, then the tree again
      const up = drawnLines > 0 ? `\x1b[${drawnLines}A\x1b[0J` : '';
      screen.write(`${up}${logLines.map((l) => `${l}\n`).join('')}${picture}\n`);
      drawnLines = picture.split('\n').length;
    };
    const subscribeLog = (job: NestedJob): void => {
      if (following.has(job.id) || job.state === 'WAITING' || job.state === 'QUEUED') return;
      const f = { next: 0, partial: '', ended: false };
      following.set(job.id, f);
      socket.emit('log:subscribe', { job: job.id, offset: f.next });
    };
    const finishIfDone = (): void => {
      if (finished || !tree || tree.state === 'RUNNING') return;
      if ([...following.values()].some((f) => !f.ended)) return;
      finished = true;
      if (!screen.isTTY) screen.write(`${renderTree(tree)}\n`);
      socket.close();
      resolve(tree.state === 'SUCCESS' ? EXIT.OK : EXIT.TREE_FAILED);
    };
    const refreshTree = async (): Promise<void> => {
      tree = await client.call<TreeView>('GET', `/api/v1/trees/${encodeURIComponent(root)}`);
      jobs = index(tree.job);
    };

    socket.on('connect', () => {
      socket.emit('status:subscribe', { root });
      for (const [id, f] of following)
        if (!f.ended) socket.emit('log:subscribe', { job: id, offset: f.next });
    });
    socket.on('connect_error', (err) => {
      socket.close();
      reject(new CliError(`cannot follow at ${client.server}: ${err.message}`, EXIT.UNREACHABLE));
    });
    socket.on('tree', (m) => {
      if (m.root !== root) return;
      tree = m.tree;
      if (lastPaused !== undefined) tree.paused = lastPaused;
      jobs = index(tree.job);
      draw([]);
      for (const j of jobs.values()) subscribeLog(j);
      finishIfDone();
    });
    socket.on('status', (e: StatusEvent) => {
      if (e.root !== root || !tree) return;
      const job = jobs.get(e.job);
      const lines: string[] = [];
      if (!job) {
        // a grafted job: the snapshot does not have it yet
        void refreshTree().then(
          () => draw([]),
          () => undefined,
        );
        return;
      }
      job.state = e.state;
      job.node = e.node;
      if (e.state === 'RUNNING') job.startedAt = e.at;
      if (isTerminal(e.state)) job.finishedAt = e.at;
      if (!screen.isTTY)
        lines.push(`${visibleControls(job.title)}: ${e.prev ?? 'new'} → ${e.state} @${e.node}`);
      subscribeLog(job);
      const allOver = [...jobs.values()].every((j) => isTerminal(j.state));
      if (isTerminal(e.state) && allOver) {
        void refreshTree().then(() => {
          draw(lines);
          finishIfDone();
        }, reject);
        return;
      }
      draw(lines);
    });
    socket.on('tree:paused', (m) => {
      if (m.root !== root) return;
      lastPaused = m.paused;
      if (!tree || tree.paused === m.paused) return;
      tree.paused = m.paused;
      draw(screen.isTTY ? [] : [`tree ${m.paused ? 'paused' : 'resumed'}`]);
    });
    socket.on('log:data', (m) => {
      const f = following.get(m.job);
      const job = jobs.get(m.job);
      if (!f || !job || m.offset !== f.next) return; // a repeat after a resubscription
      f.next = m.offset + Buffer.byteLength(m.data);
      const parts = (f.partial + m.data).split('\n');
      f.partial = parts.pop() ?? '';
      const title = visibleControls(job.title);
      draw(
        parts.map(
          (l) => `${title} | ${screen.raw ? withoutTime(l) : visibleControls(withoutTime(l))}`,
        ),
      );
    });
    const end = (id: string): void => {
      const f = following.get(id);
      if (f) f.ended = true;
      finishIfDone();
    };
    socket.on('log:end', (m) => end(m.job));
    socket.on('log:error', (m) => end(m.job));
  });
}
