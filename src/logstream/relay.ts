/**
 * Relays log subscriptions for jobs whose log is on another node (SPEC §6):
 * one socket.io-client connection per remote node, shared by all its
 * subscribers and closed when the last one leaves. After a dropped
 * connection every subscription resumes from the last byte it passed on,
 * so nothing arrives twice or goes missing. A node that stays away gives
 * log:error NODE_UNAVAILABLE. Flow control (SPEC §18): each subscription
 * asks the owner to wait for an acknowledgement of every chunk, given once
 * its own subscriber has taken it, so a slow reader holds one chunk here
 * and its own socket's buffer, never the whole log. A merged tail's feeds
 * from a node (SPEC §19) travel over the same connection, acknowledged
 * batch by batch alike.
 */
import { randomUUID } from 'node:crypto';
import type { Tokens } from '../access/tokens.js';
import { io, type Socket } from 'socket.io-client';
import { isJobId } from '../shared/ids.js';
import type { ClientToServer, LogSink, ServerToClient, TailLine } from './events.js';
import type { TailSink } from './scope-feed.js';

interface RelayedSub {
  job: string;
  /** The offset of the next byte to pass on. */
  next: number;
  /** Until the first chunk: the offset the subscriber asked for (may be negative). */
  asked: number;
  started: boolean;
  sink: LogSink;
}

/** A merged tail's feed from a node (SPEC §19). */
interface RelayedTail {
  /** The request, made afresh at each (re)send: it carries the offsets seen so far. */
  request(): Record<string, unknown>;
  sink: TailSink;
}

interface Upstream {
  socket: Socket<ServerToClient, ClientToServer>;
  subs: Map<string, RelayedSub>;
  tails: Map<string, RelayedTail>;
  giveUp: NodeJS.Timeout | undefined;
}

export interface RelayOptions {
  /** Upstream relays carry the cluster token, read at each connection. */
  tokens: Tokens;
  /** Trusted for upstreams over WSS (the cluster's CA, `tls.ca`). */
  ca?: Buffer;
  /** How long a dropped upstream may stay away before its subscribers get NODE_UNAVAILABLE. */
  unavailableAfterMs: number;
}

/** A peer's string field, or '' (never String() of an object a peer sent: it may throw). */
const text = (v: unknown): string => (typeof v === 'string' ? v.slice(0, 2000) : '');

/** A line a peer sent, checked where it enters (SPEC §18): a bad one is dropped alone. */
function isTailLine(v: unknown): v is TailLine {
  if (typeof v !== 'object' || v === null) return false;
  const l = v as Record<string, unknown>;
  return (
    ['at', 'root', 'job', 'title', 'node', 'source', 'text'].every(
      (k) => typeof l[k] === 'string',
    ) &&
    isJobId(l.root) &&
    isJobId(l.job) &&
    Number.isSafeInteger(l.offset) &&
    (l.offset as number) >= 0
  );
}

export class LogRelay {
  private readonly upstreams = new Map<string, Upstream>();

  constructor(private readonly options: RelayOptions) {}

  /** Open upstream connections, by node URL (for tests and metrics). */
  get connections(): number {
    return this.upstreams.size;
  }

  /** Subscribes through the agent at `url`; returns the function that ends it. */
  subscribe(url: string, job: string, offset: number, sink: LogSink): () => void {
    const up = this.upstreams.get(url) ?? this.connect(url);
    const id = randomUUID();
    const sub: RelayedSub = { job, next: offset, asked: offset, started: false, sink };
    up.subs.set(id, sub);
    if (up.socket.connected) this.send(up, id, sub);
    return () => this.unsubscribe(url, id);
  }

  /**
   * A merged tail's feed from the agent at `url` (SPEC §19): `request`
   * makes the `logs:subscribe` it is sent, again after a reconnect with
   * the offsets seen by then, so nothing is lost or repeated. Returns the
   * function that ends it.
   */
  subscribeTail(url: string, request: () => Record<string, unknown>, sink: TailSink): () => void {
    const up = this.upstreams.get(url) ?? this.connect(url);
    const id = randomUUID();
    up.tails.set(id, { request, sink });
    if (up.socket.connected) up.socket.emit('logs:subscribe', { ...request(), sub: id });
    return () => this.unsubscribe(url, id);
  }

  private send(up: Upstream, id: string, sub: RelayedSub): void {
    up.socket.emit('log:subscribe', {
      job: sub.job,
      offset: sub.started ? sub.next : sub.asked,
      sub: id,
      local: true,
      ack: true,
    });
  }

  private connect(url: string): Upstream {
    const socket: Socket<ServerToClient, ClientToServer> = io(url, {
      // read at every (re)connection: a reload may have changed the token (SPEC §18)
      auth: (cb) => cb(this.options.tokens.token ? { token: this.options.tokens.token } : {}),
      transports: ['websocket'],
      ...(this.options.ca ? { ca: this.options.ca.toString() } : {}),
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
    });
    const up: Upstream = { socket, subs: new Map(), tails: new Map(), giveUp: undefined };
    this.upstreams.set(url, up);
    const failAll = (message: string): void => {
      for (const [id, sub] of up.subs) {
        sub.sink.error('NODE_UNAVAILABLE', message);
        up.subs.delete(id);
      }
      for (const [id, tail] of up.tails) {
        up.tails.delete(id);
        tail.sink.error('NODE_UNAVAILABLE', message);
      }
      this.close(url);
    };
    const armGiveUp = (): void => {
      up.giveUp ??= setTimeout(
        () => failAll(`the node at ${url} does not answer`),
        this.options.unavailableAfterMs,
      );
    };
    socket.on('connect', () => {
      clearTimeout(up.giveUp);
      up.giveUp = undefined;
      for (const [id, sub] of up.subs) this.send(up, id, sub); // resume each from its next byte
      for (const [id, tail] of up.tails)
        socket.emit('logs:subscribe', { ...tail.request(), sub: id });
    });
    socket.on('connect_error', armGiveUp);
    socket.on('disconnect', (reason) => {
      armGiveUp();
      // an agent that stops closes its sockets itself, and socket.io does not retry those
      if (reason === 'io server disconnect')
        setTimeout(() => up.subs.size + up.tails.size > 0 && socket.connect(), 200);
    });
    socket.on('log:data', (m, ack) => {
      const sub = typeof m?.sub === 'string' ? up.subs.get(m.sub) : undefined;
      // a peer's message is checked too: a bad one is dropped, never thrown (SPEC §18)
      if (!sub || typeof m.data !== 'string' || !Number.isSafeInteger(m.offset)) return ack?.();
      if (!sub.started) {
        sub.started = true;
        sub.next = m.offset;
      }
      if (m.offset !== sub.next) return ack?.(); // a chunk from before a resume: already passed on
      sub.next = m.offset + Buffer.byteLength(m.data);
      // acknowledged once the subscriber's socket has taken it: the owner sends no faster
      const done = (): void => ack?.();
      void Promise.resolve(sub.sink.data(m.offset, m.data)).then(done, done);
    });
    socket.on('log:end', (m) => {
      const sub = typeof m?.sub === 'string' ? up.subs.get(m.sub) : undefined;
      if (!sub) return;
      sub.sink.end(Number.isSafeInteger(m.size) ? m.size : sub.next, text(m.state));
      this.unsubscribe(url, m.sub as string);
    });
    socket.on('logs:data', (m, ack) => {
      const tail = typeof m?.sub === 'string' ? up.tails.get(m.sub) : undefined;
      const lines = tail && Array.isArray(m.lines) ? m.lines.filter(isTailLine) : [];
      if (!tail) return ack?.();
      // acknowledged once taken: the node reads on no faster than the subscriber takes lines
      const done = (): void => {
        if (m.ready === true) tail.sink.ready();
        ack?.();
      };
      if (lines.length === 0) return done();
      void tail.sink.lines(lines).then(done, done);
    });
    socket.on('logs:end', (m) => {
      const tail = typeof m?.sub === 'string' ? up.tails.get(m.sub) : undefined;
      if (!tail) return;
      this.unsubscribe(url, m.sub);
      tail.sink.end();
    });
    socket.on('logs:error', (m) => {
      const tail = typeof m?.sub === 'string' ? up.tails.get(m.sub) : undefined;
      if (!tail) return;
      this.unsubscribe(url, m.sub);
      tail.sink.error(text(m.code) || 'UNAVAILABLE', text(m.message));
    });
    socket.on('log:error', (m) => {
      const sub = typeof m?.sub === 'string' ? up.subs.get(m.sub) : undefined;
      if (!sub) return;
      sub.sink.error(text(m.code) || 'UNAVAILABLE', text(m.message));
      this.unsubscribe(url, m.sub as string);
    });
    return up;
  }

  private unsubscribe(url: string, id: string): void {
    const up = this.upstreams.get(url);
    if (!up) return;
    const sub = up.subs.get(id);
    if (sub) {
      up.subs.delete(id);
      if (up.socket.connected) up.socket.emit('log:unsubscribe', { job: sub.job, sub: id });
    } else if (up.tails.delete(id)) {
      if (up.socket.connected) up.socket.emit('logs:unsubscribe', { sub: id });
    }
    if (up.subs.size === 0 && up.tails.size === 0) this.close(url);
  }

  private close(url: string): void {
    const up = this.upstreams.get(url);
    if (!up) return;
    clearTimeout(up.giveUp);
    up.socket.close();
    this.upstreams.delete(url);
  }

  /** Closes every upstream connection. */
  closeAll(): void {
    for (const url of [...this.upstreams.keys()]) this.close(url);
  }
}
