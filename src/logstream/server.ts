/**
 * The socket.io server of SPEC §6 on the agent's HTTP port: log
 * subscriptions (served from this node's disk, or relayed from the node
 * that ran the job) and status subscriptions (a tree snapshot, then only
 * newer events, plus `tree:paused` when one is paused or resumed). The
 * handshake carries the cluster token (SPEC §10).
 * The server listens to the status channel only while a client is
 * connected: an agent nobody watches would otherwise read and parse two
 * messages for every job the cluster runs.
 */
import type { Server as HttpServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { isTerminal } from '../jobtree/states.js';
import { isJobId } from '../shared/ids.js';
import type { JobState, PausedEvent, StatusEvent } from '../shared/types.js';
import type { Store, Subscription } from '../store/store.js';
import type { ClientToServer, LogData, LogSink, LogSubscribe, ServerToClient } from './events.js';
import { LogFollower } from './follower.js';
import type { JobLogs } from './job-logs.js';
import { LogRelay } from './relay.js';
import { roleOf, type Tokens } from './token.js';

export interface LogServerDeps {
  store: Store;
  logs: JobLogs;
  node: string;
  /** The cluster token (relays use it) and the read-only one (enough to watch). */
  tokens: Tokens;
  /** The CA other nodes' certificates chain to, for relays over WSS (`tls.ca`). */
  peerCa?: Buffer;
}

type Client = Socket<ClientToServer, ServerToClient>;

/** Per socket: its log subscriptions (key: sub or job) and its status filters. */
interface ClientState {
  logs: Map<string, () => void>;
  /** root ('*' for all) → the seq already covered by the snapshot, or null while it is taken. */
  status: Map<string, { seq: number | null; buffer: StatusEvent[] }>;
}

/** Socket.io writes are buffered per connection; past this, a sender waits for the buffer to drain. */
const HIGH_WATER = 64;
/** A relay that does not acknowledge a chunk for this long is taken as gone. */
const ACK_TIMEOUT_MS = 60_000;

async function drained(socket: Client): Promise<void> {
  const conn = socket.conn as unknown as {
    writeBuffer: unknown[];
    once(e: 'drain', f: () => void): void;
  };
  if (conn.writeBuffer.length < HIGH_WATER || socket.disconnected) return;
  await new Promise<void>((resolve) => conn.once('drain', resolve));
}

export class LogServer {
  readonly io: Server<ClientToServer, ServerToClient>;
  readonly relay: LogRelay;
  private readonly clients = new Map<Client, ClientState>();
  private readonly followers = new Set<LogFollower>();
  private statusSub: Subscription | undefined;

  constructor(
    http: HttpServer,
    private readonly deps: LogServerDeps,
  ) {
    this.relay = new LogRelay({
      tokens: deps.tokens,
      unavailableAfterMs: 5000,
      ...(deps.peerCa ? { ca: deps.peerCa } : {}),
    });
    this.io = new Server(http, { serveClient: false, maxHttpBufferSize: 1e6 });
    this.io.use((socket, next) => {
      const given = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      // every event a client may send only reads (logs, status): either token will do
      if (roleOf(deps.tokens, typeof given === 'string' ? given : undefined) === null) {
        next(new Error('UNAUTHORIZED'));
      } else next();
    });
    this.io.on('connection', (socket) => this.accept(socket));
  }

  /**
   * The status relay (one Pub/Sub subscription for all clients), made on
   * demand. Subscriptions await it before reading any state, so no event
   * between their read and the first message can be missed.
   */
  private statusReady(): Promise<void> {
    this.statusSub ??= this.deps.store.subscribeStatus(
      (e) => this.onStatus(e),
      (e) => this.onPaused(e),
    );
    return this.statusSub.ready;
  }

  private dropStatusWhenIdle(): void {
    if (this.clients.size > 0 || !this.statusSub) return;
    const sub = this.statusSub;
    this.statusSub = undefined;
    void sub.close();
  }

  private accept(socket: Client): void {
    const state: ClientState = { logs: new Map(), status: new Map() };
    this.clients.set(socket, state);
    socket.on('log:subscribe', (msg) => void this.subscribeLog(socket, state, msg));
    socket.on('log:unsubscribe', (msg) => {
      const key = msg?.sub ?? msg?.job;
      state.logs.get(key)?.();
      state.logs.delete(key);
    });
    socket.on('status:subscribe', (msg) => void this.subscribeStatus(socket, state, msg?.root));
    socket.on('status:unsubscribe', (msg) => state.status.delete(msg?.root ?? '*'));
    socket.on('disconnect', () => {
      for (const stop of state.logs.values()) stop();
      this.clients.delete(socket);
      this.dropStatusWhenIdle();
    });
  }

  private sinkFor(socket: Client, state: ClientState, msg: LogSubscribe, key: string): LogSink {
    const { job, sub } = msg;
    const tag = sub === undefined ? {} : { sub };
    return {
      data: async (offset, data) => {
        if (msg.ack) {
          // a relay: the next chunk waits until its own subscriber has taken this one
          // the typed map declares the ack optional, which emitWithAck's typing cannot express
          const acked = socket.timeout(ACK_TIMEOUT_MS) as unknown as {
            emitWithAck(event: 'log:data', msg: LogData): Promise<unknown>;
          };
          await acked.emitWithAck('log:data', { job, offset, data, ...tag });
          return;
        }
        socket.emit('log:data', { job, offset, data, ...tag });
        await drained(socket);
      },
      end: (size, s) => {
        socket.emit('log:end', { job, size, state: s, ...tag });
        state.logs.delete(key);
      },
      error: (code, message) => {
        socket.emit('log:error', { job, code, message, ...tag });
        state.logs.delete(key);
      },
    };
  }

  private async subscribeLog(socket: Client, state: ClientState, msg: LogSubscribe): Promise<void> {
    const job = msg?.job;
    const key = msg?.sub ?? job;
    const offset = Number.isSafeInteger(msg?.offset) ? (msg.offset as number) : 0;
    if (!isJobId(job)) {
      socket.emit('log:error', {
        job: String(job),
        code: 'BAD_REQUEST',
        message: 'job must be a job id',
        ...(msg?.sub ? { sub: msg.sub } : {}),
      });
      return;
    }
    state.logs.get(key)?.(); // a new subscription replaces the old one
    const sink = this.sinkFor(socket, state, msg, key);
    try {
      await this.statusReady(); // a follower is poked by status events from here on
      const view = await this.deps.store.getJob(job);
      if (msg.local || view.node === this.deps.node || view.node === '*') {
        const follower = new LogFollower(
          {
            id: job,
            path: this.deps.logs.path(view.root, job),
            finalState: async () => {
              const s = (await this.deps.store.getJob(job)).state;
              return isTerminal(s) ? s : null;
            },
          },
          this.deps.logs,
          sink,
        );
        this.followers.add(follower);
        state.logs.set(key, () => {
          follower.stop();
          this.followers.delete(follower);
        });
        await follower.start(offset);
        return;
      }
      const owner = (await this.deps.store.liveNodes(Date.now())).find((n) => n.name === view.node);
      if (!owner) {
        sink.error('NODE_UNAVAILABLE', `node ${view.node}, which has this log, is not alive`);
        return;
      }
      state.logs.set(key, this.relay.subscribe(owner.url, job, offset, sink));
    } catch (err) {
      const code = (err as { code?: string }).code === 'NOT_FOUND' ? 'NOT_FOUND' : 'UNAVAILABLE';
      sink.error(code, (err as Error).message);
    }
  }

  private async subscribeStatus(socket: Client, state: ClientState, root?: string): Promise<void> {
    if (root === undefined) {
      state.status.set('*', { seq: 0, buffer: [] });
      await this.statusReady().catch(() => undefined);
      return;
    }
    if (!isJobId(root)) return;
    const entry: { seq: number | null; buffer: StatusEvent[] } = { seq: null, buffer: [] };
    state.status.set(root, entry);
    try {
      await this.statusReady(); // events after the snapshot's read are buffered, none lost
      const tree = await this.deps.store.getTree(root);
      socket.emit('tree', { root, seq: tree.seq, tree });
      entry.seq = tree.seq;
      for (const e of entry.buffer) if (e.seq > tree.seq) socket.emit('status', e);
      entry.buffer = [];
    } catch (err) {
      state.status.delete(root);
      socket.emit('log:error', { job: root, code: 'NOT_FOUND', message: (err as Error).message });
    }
  }

  private onStatus(e: StatusEvent): void {
    for (const [socket, state] of this.clients) {
      if (state.status.has('*')) socket.emit('status', e);
      const entry = state.status.get(e.root);
      if (!entry) continue;
      if (entry.seq === null) entry.buffer.push(e);
      else if (e.seq > entry.seq) socket.emit('status', e);
    }
    // a queued job that ends without running (its tree aborted) has no log writer to say so
    if (isTerminal(e.state as JobState)) for (const f of this.followers) f.pokeFor(e.job);
  }

  /**
   * Not ordered with the tree's status events (it has no seq), but sent in
   * the order the pauses were written, each after its write: a view keeps
   * the last one it heard over the `paused` of a snapshot.
   */
  private onPaused(e: PausedEvent): void {
    for (const [socket, state] of this.clients) {
      if (state.status.has('*') || state.status.has(e.root)) socket.emit('tree:paused', e);
    }
  }

  async close(): Promise<void> {
    for (const f of this.followers) f.stop();
    this.relay.closeAll();
    await this.statusSub?.close();
    this.io.disconnectSockets(true);
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
  }
}
