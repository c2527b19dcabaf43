/**
 * The merged tails an agent serves (SPEC §19): a reader's `logs:subscribe`
 * is checked, then served either as a merged tail (fanned out to every
 * node concerned, merged here: merged-tail.ts) or, when another agent asks
 * for this node's part (`local`), as this node's own feed (scope-feed.ts),
 * acknowledged batch by batch. Every tail and feed alive here is told each
 * status event of the cluster: a job that starts, a node that joins.
 */
import { ownsTree } from '../access/roles.js';
import type { Semaphore } from '../shared/semaphore.js';
import type { StatusEvent } from '../shared/types.js';
import type { JobLogs } from './job-logs.js';
import { MergedTail } from './merged-tail.js';
import type { LogRelay } from './relay.js';
import { ScopeFeed, type TailSink, type TailStore } from './scope-feed.js';
import { tailSocketSink, type Client } from './socket-client.js';
import {
  compileFilter,
  parseTailRequest,
  type LineFilter,
  type TailRequest,
} from './tail-request.js';

export interface TailServiceDeps {
  store: TailStore;
  logs: JobLogs;
  node: string;
  relay: LogRelay;
  /** The server's bound on files read at once. */
  reads: Semaphore;
  archive: { enabled: boolean; maxBytes: number };
  holdMs: number;
  tls: boolean;
}

/** A checked request, ready to start once the socket has room for it. */
export interface OpenedTail {
  sub: string;
  /** Starts it; `release` is what its end or failure calls; answers what stops it. */
  start(release: () => void): () => void;
}

export class TailService {
  private readonly live = new Set<{ onStatus(e: StatusEvent): void }>();

  constructor(private readonly deps: TailServiceDeps) {}

  /** Tails and feeds alive (a bound for tests: a stopped one holds nothing). */
  get size(): number {
    return this.live.size;
  }

  /**
   * Checks a `logs:subscribe`; a bad one, or one a job's token may not
   * send, is answered on the socket and gives null.
   */
  open(socket: Client, raw: unknown): OpenedTail | null {
    const given = (raw as { sub?: unknown } | null)?.sub;
    const tag = typeof given === 'string' ? given.slice(0, 64) : '';
    let req: TailRequest;
    let filter: LineFilter;
    try {
      req = parseTailRequest(raw);
      filter = compileFilter(req.filter);
    } catch (err) {
      socket.emit('logs:error', { sub: tag, code: 'BAD_REQUEST', message: (err as Error).message });
      return null;
    }
    const who = socket.data.principal;
    if (who.kind === 'job' && !('root' in req.scope && ownsTree(who, req.scope.root))) {
      socket.emit('logs:error', {
        sub: req.sub,
        code: 'FORBIDDEN',
        message: 'a job token tails its own tree only',
      });
      return null;
    }
    return {
      sub: req.sub,
      start: (release) => {
        const sink = tailSocketSink(socket, req.sub, req.ack, release);
        if (req.local) return this.feed(req, filter, sink);
        const tail = new MergedTail(
          {
            ...this.deps,
            local: (r, s) => this.feed(r, filter, s),
          },
          req,
          filter,
          {
            ...sink,
            nodeError: (code, message, node) =>
              socket.emit('logs:error', { sub: req.sub, code, message, node }),
          },
        );
        this.live.add(tail);
        void tail
          .start()
          .catch((err: unknown) => sink.error('UNAVAILABLE', (err as Error).message));
        return () => {
          tail.stop();
          this.live.delete(tail);
        };
      },
    };
  }

  /** This node's own lines of a tail's scope; answers what stops the feed. */
  private feed(req: TailRequest, filter: LineFilter, sink: TailSink): () => void {
    const feed = new ScopeFeed(
      {
        store: this.deps.store,
        logs: this.deps.logs,
        node: this.deps.node,
        reads: this.deps.reads,
      },
      req,
      filter,
      sink,
    );
    this.live.add(feed);
    void feed.start().catch((err: unknown) => sink.error('UNAVAILABLE', (err as Error).message));
    return () => {
      feed.stop();
      this.live.delete(feed);
    };
  }

  onStatus(e: StatusEvent): void {
    for (const tail of this.live) tail.onStatus(e);
  }

  close(): void {
    this.live.clear();
  }
}
