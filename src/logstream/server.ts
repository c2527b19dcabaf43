/**
 * The socket.io server of SPEC §6 on the agent's HTTP port: log
 * subscriptions (served from this node's disk, or relayed from the node
 * that ran the job) and status subscriptions (a tree snapshot, then only
 * newer events, plus `tree:paused` when one is paused or resumed).
 * SPEC §18: the handshake passes the Host, Origin and per-address doors
 * (handshake.ts) and carries a token; each event needs the role the access
 * table gives it; a socket holds at most `subscriptionsPerSocket`
 * subscriptions, and an ended one holds nothing. Every message a client
 * sends is checked where it enters: a bad one is answered, never thrown.
 * The server listens to the status channel only while a client is
 * connected: an agent nobody watches would otherwise read and parse two
 * messages for every job the cluster runs.
 */
import type { Server as HttpServer } from 'node:http';
import type { Logger } from 'pino';
import { Server } from 'socket.io';
import type { BigReads } from '../access/big-reads.js';
import type { HostPolicy } from '../access/host-policy.js';
import { peerUrlRefusal } from '../access/peer-url.js';
import { EVENT_ACCESS, ownsTree, roleAllows } from '../access/roles.js';
import { principalOf, type JobTokenCheck, type Tokens } from '../access/tokens.js';
import { isTerminal } from '../jobtree/states.js';
import { isJobId } from '../shared/ids.js';
import { Semaphore } from '../shared/semaphore.js';
import type { JobView, PausedEvent, StatusEvent } from '../shared/types.js';
import { StringDecoder } from 'node:string_decoder';
import type { ArchivePort, EventPort, NodePort, ReadPort, Subscription } from '../store/store.js';
import { readArchived, sliceArchived } from './archive.js';
import type { ClientToServer, LogSink, ServerToClient } from './events.js';
import { LogFollower } from './follower.js';
import { clientAddress, ClientCounter, handshakeGuard } from '../access/socket-handshake.js';
import {
  parseSubscribe,
  rootOf,
  socketSink,
  type Client,
  type SocketData,
} from './socket-client.js';
import type { JobLogs } from './job-logs.js';
import { LogRelay } from './relay.js';
import { TailService } from './tail-service.js';

export interface LogServerDeps {
  store: ReadPort & EventPort & NodePort & Pick<ArchivePort, 'readArchive' | 'archivedJobs'>;
  /** Logs of nodes that are gone are read from their archive (SPEC §19). */
  archive: { enabled: boolean; maxBytes: number };
  /** How long a merged tail holds lines back to order them by time (SPEC §19). */
  tailHoldMs: number;
  logs: JobLogs;
  node: string;
  /** The tokens clients present (relays present the admin one). */
  tokens: Tokens;
  /** The tokens of the jobs this agent runs: a job may watch its own tree. */
  jobTokens?: JobTokenCheck;
  hosts: HostPolicy;
  limits: { subscriptionsPerSocket: number; socketsPerClient: number };
  /** A snapshot of a big tree is a big read (SPEC §18). */
  bigReads: BigReads;
  /** The CA other nodes' certificates chain to, for relays over WSS (`tls.ca`). */
  peerCa?: Buffer;
  /** This agent serves TLS: it relays from no plain-http peer (SPEC §18). */
  tls: boolean;
  /** Where a handler's failure is told; the socket, and the agent, go on. */
  logger: Logger;
}

/** Per socket: its log subscriptions (key: sub or job) and its status filters. */
interface ClientState {
  /** Subscriptions refused for the limit: past REFUSALS_ALLOWED, the socket is closed. */
  refused: number;
  logs: Map<string, () => void>;
  /** root ('*' for all) → the seq already covered by the snapshot, or null while it is taken. */
  status: Map<string, { seq: number | null; buffer: StatusEvent[] }>;
}

/** Log files read at once by all followers: bounds the descriptors subscribers can hold. */
const CONCURRENT_READS = 64;
/** An archived log goes to its subscriber in pieces of this many bytes. */
const ARCHIVE_CHUNK = 64 * 1024;
/**
 * Refusals for the subscription limit a socket may earn before it is
 * closed: one that keeps asking past its limit (100,000 subscriptions in a
 * burst) would otherwise cost the agent a refusal each.
 */
const REFUSALS_ALLOWED = 100;
export class LogServer {
  readonly io: Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>;
  readonly relay: LogRelay;
  private readonly clients = new Map<Client, ClientState>();
  /** The sessions each running job's token opened: they end with its try. */
  private readonly jobSessions = new Map<string, Set<Client>>();
  private readonly followers = new Set<LogFollower>();
  /** The merged tails and node feeds served here (SPEC §19). */
  private readonly tailService: TailService;
  private readonly reads = new Semaphore(CONCURRENT_READS);
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
    this.tailService = new TailService({
      store: deps.store,
      logs: deps.logs,
      node: deps.node,
      relay: this.relay,
      reads: this.reads,
      archive: deps.archive,
      holdMs: deps.tailHoldMs,
      tls: deps.tls,
    });
    const counter = new ClientCounter(deps.limits.socketsPerClient);
    this.io = new Server(http, {
      serveClient: false,
      maxHttpBufferSize: 1e6,
      allowRequest: handshakeGuard(deps.hosts, counter),
    });
    this.io.engine.on('connection', (raw: { request: Parameters<typeof clientAddress>[0] }) => {
      const uncount = counter.add(clientAddress(raw.request));
      (raw as unknown as { once(e: 'close', f: () => void): void }).once('close', uncount);
    });
    this.io.use((socket, next) => {
      const given = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const token = typeof given === 'string' ? given : undefined;
      const principal = principalOf(deps.tokens, deps.jobTokens, token);
      if (principal === null) return next(new Error('UNAUTHORIZED'));
      socket.data = { principal, token };
      next();
    });
    this.io.on('connection', (socket) => this.accept(socket));
  }

  /** Sockets open now (a bound for tests). */
  get sockets(): number {
    return this.clients.size;
  }

  /** Followers alive now: an ended or failed subscription leaves none (SPEC §18). */
  get following(): number {
    return this.followers.size;
  }

  /** Merged tails and node feeds alive now (SPEC §19): an ended one leaves none. */
  get tailing(): number {
    return this.tailService.size;
  }

  /**
   * After a reload (SPEC §18): closes every session whose token no longer
   * names the principal it was let in as. Answers how many it closed.
   */
  revalidate(): number {
    let closed = 0;
    for (const socket of this.clients.keys()) {
      const now = principalOf(this.deps.tokens, this.deps.jobTokens, socket.data.token);
      if (now === null || JSON.stringify(now) !== JSON.stringify(socket.data.principal)) {
        socket.disconnect(true);
        closed += 1;
      }
    }
    return closed;
  }

  /** A job of this agent ended: the sessions its token opened end with it. */
  jobEnded(id: string): void {
    const sessions = this.jobSessions.get(id);
    if (!sessions) return;
    this.jobSessions.delete(id);
    for (const socket of sessions) socket.disconnect(true);
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

  /** Whether the socket's principal may send `event` at all (a job's tree is checked later). */
  private allows(socket: Client, event: keyof typeof EVENT_ACCESS): boolean {
    const access = EVENT_ACCESS[event];
    return access !== undefined && roleAllows(socket.data.principal, access);
  }

  /**
   * Handles a client's event, which needs the role the access table gives
   * it. Whatever a handler throws, at once or later, is logged, and the
   * socket and the agent go on (SPEC §18: an event once killed the agent).
   */
  private handle(
    socket: Client,
    event: keyof ClientToServer,
    run: (msg: unknown) => Promise<void> | void,
  ): void {
    const failed = (err: unknown): void =>
      this.deps.logger.warn({ event, err: (err as Error)?.message }, 'a socket event failed');
    socket.on(event, (msg: unknown) => {
      if (!this.allows(socket, event)) return;
      try {
        void Promise.resolve(run(msg)).catch(failed);
      } catch (err) {
        failed(err);
      }
    });
  }

  private accept(socket: Client): void {
    const state: ClientState = { refused: 0, logs: new Map(), status: new Map() };
    this.clients.set(socket, state);
    const who = socket.data.principal;
    if (who.kind === 'job') {
      const sessions = this.jobSessions.get(who.job) ?? new Set();
      this.jobSessions.set(who.job, sessions.add(socket));
    }
    this.handle(socket, 'log:subscribe', (msg) => this.subscribeLog(socket, state, msg));
    this.handle(socket, 'log:unsubscribe', (msg) => {
      const m = msg as { sub?: unknown; job?: unknown } | null;
      const key = m?.sub ?? m?.job;
      if (typeof key === 'string') state.logs.get(key)?.();
    });
    this.handle(socket, 'logs:subscribe', (msg) => this.subscribeTail(socket, state, msg));
    this.handle(socket, 'logs:unsubscribe', (msg) => {
      const sub = (msg as { sub?: unknown } | null)?.sub;
      if (typeof sub === 'string') state.logs.get(`logs:${sub}`)?.();
    });
    this.handle(socket, 'status:subscribe', (msg) => this.subscribeStatus(socket, state, msg));
    this.handle(socket, 'status:unsubscribe', (msg) => {
      const root = rootOf(msg);
      if (root !== null) state.status.delete(root ?? '*');
    });
    socket.on('disconnect', () => {
      for (const stop of [...state.logs.values()]) stop();
      this.clients.delete(socket);
      if (who.kind === 'job') {
        const sessions = this.jobSessions.get(who.job);
        sessions?.delete(socket);
        if (sessions?.size === 0) this.jobSessions.delete(who.job);
      }
      this.dropStatusWhenIdle();
    });
  }

  /**
   * True when the socket may take one more subscription (`replaces`: it
   * replaces one it holds); else says why on it, having done nothing.
   */
  private hasRoom(
    socket: Client,
    state: ClientState,
    replaces: boolean,
    job: string,
    sub?: string,
    tail = false,
  ) {
    const held = state.logs.size + state.status.size;
    if (replaces || held < this.deps.limits.subscriptionsPerSocket) return true;
    state.refused += 1;
    const closing = state.refused >= REFUSALS_ALLOWED;
    const code = 'TOO_MANY_SUBSCRIPTIONS';
    const message = `a socket holds at most ${this.deps.limits.subscriptionsPerSocket} subscriptions (limits.subscriptionsPerSocket)${closing ? '; this one asked past it too often and is closed' : ''}`;
    if (tail) socket.emit('logs:error', { sub: sub ?? '', code, message });
    else socket.emit('log:error', { job, code, message, ...(sub !== undefined ? { sub } : {}) });
    if (closing) socket.disconnect(true);
    return false;
  }

  private async subscribeLog(socket: Client, state: ClientState, raw: unknown): Promise<void> {
    const msg = parseSubscribe(raw);
    const badRequest = (message: string): void => {
      const sub = msg?.sub;
      socket.emit('log:error', {
        job: msg?.job ?? '',
        code: 'BAD_REQUEST',
        message,
        ...(sub !== undefined ? { sub } : {}),
      });
    };
    if (msg === null) return badRequest('want {job, offset?, sub?}');
    const { job } = msg;
    if (!isJobId(job)) return badRequest('job must be a job id');
    const key = msg.sub ?? job;
    if (!this.hasRoom(socket, state, state.logs.has(key), job, msg.sub)) return;
    state.logs.get(key)?.(); // a new subscription replaces the old one
    // Held from here on (so the limit counts it while it looks), released once.
    let stop: (() => void) | undefined;
    const release = (): void => {
      stop?.();
      if (state.logs.get(key) === release) state.logs.delete(key);
    };
    state.logs.set(key, release);
    const sink = socketSink(socket, msg, release);
    try {
      await this.statusReady(); // a follower is poked by status events from here on
      const view = await this.deps.store.getJob(job);
      const who = socket.data.principal;
      if (!ownsTree(who, view.root))
        return sink.error('FORBIDDEN', 'a job token reads its own tree only');
      if (state.logs.get(key) !== release) return; // unsubscribed or replaced meanwhile
      if (msg.local || view.node === this.deps.node || view.node === '*') {
        stop = this.follow(job, view.root, sink, msg.offset ?? 0);
        return;
      }
      const owner = (await this.deps.store.liveNodes(Date.now())).find((n) => n.name === view.node);
      if (!owner) {
        if (await this.sendArchived(view, sink, msg.offset ?? 0)) return;
        return sink.error(
          'NODE_UNAVAILABLE',
          `node ${view.node}, which has this log, is not alive${this.deps.archive.enabled ? ', and it left no archive of it' : ''}`,
        );
      }
      const refused = peerUrlRefusal(owner.url, this.deps.tls);
      if (refused !== null) return sink.error('NODE_UNAVAILABLE', refused);
      if (state.logs.get(key) !== release) return;
      stop = this.relay.subscribe(owner.url, job, msg.offset ?? 0, sink);
    } catch (err) {
      const code = (err as { code?: string }).code === 'NOT_FOUND' ? 'NOT_FOUND' : 'UNAVAILABLE';
      sink.error(code, (err as Error).message);
    }
  }

  /**
   * Sends a job's archived log (its node is not alive, SPEC §19) from
   * `offset`, in chunks each once the last was taken, then its end; false
   * when there is no archive.
   */
  private async sendArchived(view: JobView, sink: LogSink, offset: number): Promise<boolean> {
    if (!this.deps.archive.enabled || !isTerminal(view.state)) return false;
    const archived = await readArchived(
      this.deps.store,
      view.root,
      view.id,
      this.deps.archive.maxBytes,
    );
    if (!archived) return false;
    const { start, size, bytes } = sliceArchived(archived.text, offset);
    const decoder = new StringDecoder('utf8');
    let at = start;
    for (let i = 0; i < bytes.length; i += ARCHIVE_CHUNK) {
      const text = decoder.write(bytes.subarray(i, i + ARCHIVE_CHUNK));
      if (text === '') continue;
      await sink.data(at, text, true);
      at += Buffer.byteLength(text);
    }
    sink.end(size, view.state);
    return true;
  }

  /**
   * A merged tail (SPEC §19), held as one subscription of the socket: the
   * tail service parses it and serves it (tail-service.ts).
   */
  private async subscribeTail(socket: Client, state: ClientState, raw: unknown): Promise<void> {
    const opened = this.tailService.open(socket, raw);
    if (!opened) return;
    const key = `logs:${opened.sub}`;
    if (!this.hasRoom(socket, state, state.logs.has(key), '', opened.sub, true)) return;
    state.logs.get(key)?.(); // a new subscription replaces the old one
    let stop: () => void = () => undefined;
    const release = (): void => {
      stop();
      if (state.logs.get(key) === release) state.logs.delete(key);
    };
    state.logs.set(key, release);
    await this.statusReady(); // a job that starts from here on is heard of
    if (state.logs.get(key) !== release) return; // unsubscribed or replaced meanwhile
    stop = opened.start(release);
  }

  /** Follows a log on this node's disk; answers what stops it and lets go of it. */
  private follow(job: string, root: string, sink: LogSink, offset: number): () => void {
    const follower = new LogFollower(
      {
        id: job,
        path: this.deps.logs.path(root, job),
        finalState: async () => {
          const s = (await this.deps.store.getJob(job)).state;
          return isTerminal(s) ? s : null;
        },
      },
      this.deps.logs,
      sink,
      this.reads,
    );
    this.followers.add(follower);
    void follower.start(offset).catch((err: unknown) => sink.error('READ_FAILED', String(err)));
    return () => {
      follower.stop();
      this.followers.delete(follower);
    };
  }

  private async subscribeStatus(socket: Client, state: ClientState, msg: unknown): Promise<void> {
    const root = rootOf(msg);
    const who = socket.data.principal;
    if (root === null) return;
    if (!ownsTree(who, root ?? null)) {
      socket.emit('log:error', {
        job: root ?? '*',
        code: 'FORBIDDEN',
        message: 'a job token watches its own tree only',
      });
      return;
    }
    if (!this.hasRoom(socket, state, state.status.has(root ?? '*'), root ?? '*')) return;
    if (root === undefined) {
      state.status.set('*', { seq: 0, buffer: [] });
      await this.statusReady().catch(() => undefined);
      return;
    }
    const entry: { seq: number | null; buffer: StatusEvent[] } = { seq: null, buffer: [] };
    state.status.set(root, entry);
    try {
      await this.statusReady(); // events after the snapshot's read are buffered, none lost
      const tree = await this.deps.bigReads.run(root, () => this.deps.store.getTree(root));
      socket.emit('tree', { root, seq: tree.seq, tree });
      entry.seq = tree.seq;
      for (const e of entry.buffer) if (e.seq > tree.seq) socket.emit('status', e);
      entry.buffer = [];
    } catch (err) {
      state.status.delete(root);
      const code = (err as { code?: string }).code === 'BUSY' ? 'BUSY' : 'NOT_FOUND';
      socket.emit('log:error', { job: root, code, message: (err as Error).message });
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
    if (isTerminal(e.state)) this.deps.logs.changed(e.job);
    this.tailService.onStatus(e);
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
    this.tailService.close();
    this.followers.clear();
    this.relay.closeAll();
    await this.statusSub?.close();
    this.io.disconnectSockets(true);
    await new Promise<void>((resolve) => this.io.close(() => resolve()));
  }
}
