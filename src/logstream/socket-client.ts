/**
 * One client's socket as the log server sees it (SPEC §6, §18): who it is
 * (what its handshake established), what it sends, checked where it
 * enters (a bad message is answered, never thrown), and where a log
 * subscription's messages go on it, at the pace its reader takes them.
 */
import type { Socket } from 'socket.io';
import type { Principal } from '../access/tokens.js';
import { isJobId } from '../shared/ids.js';
import type {
  ClientToServer,
  LogData,
  LogsData,
  LogSink,
  LogSubscribe,
  ServerToClient,
} from './events.js';
import type { TailSink } from './scope-feed.js';

/** What the handshake established: who the socket is, and with which token. */
export interface SocketData {
  principal: Principal;
  token: string | undefined;
}

export type Client = Socket<ClientToServer, ServerToClient, Record<string, never>, SocketData>;

/** Socket.io writes are buffered per connection; past this, a sender waits for the buffer to drain. */
const HIGH_WATER = 64;
/** A relay that does not acknowledge a chunk for this long is taken as gone. */
const ACK_TIMEOUT_MS = 60_000;
/**
 * Chunks a relay may hold unacknowledged (SPEC §18 flow control): a slow
 * reader costs the relay at most this many chunks (1 MiB) per
 * subscription, and a fast one is not held to one round trip per chunk.
 * The relayed 100 MB stream here: one at a time 42 MB/s, 8 about 70, 16
 * about 85, 32 about 100 (as with no flow control), for 2 MiB held.
 */
const ACK_WINDOW = 16;
/** A relay's subscription tag; anything longer is no tag of ours. */
const MAX_SUB = 64;

export async function drained(socket: Client): Promise<void> {
  const conn = socket.conn as unknown as {
    writeBuffer: unknown[];
    once(e: 'drain' | 'close', f: () => void): void;
    off(e: 'drain' | 'close', f: () => void): void;
  };
  if (conn.writeBuffer.length < HIGH_WATER || socket.disconnected) return;
  await new Promise<void>((resolve) => {
    // whichever comes first; the other listener goes too, or every wait would leave one
    const done = (): void => {
      conn.off('drain', done);
      conn.off('close', done); // a reader that left frees its sender
      resolve();
    };
    conn.once('drain', done);
    conn.once('close', done);
  });
}

/** A client's log:subscribe, checked where it enters; null when it is none. */
export function parseSubscribe(msg: unknown): LogSubscribe | null {
  if (!msg || typeof msg !== 'object' || Array.isArray(msg)) return null;
  const m = msg as Record<string, unknown>;
  if (m.sub !== undefined && (typeof m.sub !== 'string' || m.sub.length > MAX_SUB)) return null;
  if (m.offset !== undefined && !Number.isSafeInteger(m.offset)) return null;
  return {
    // never String() of a client's object: one with a toString that is no function throws
    job: typeof m.job === 'string' ? m.job.slice(0, 64) : '',
    ...(m.offset !== undefined ? { offset: m.offset as number } : {}),
    ...(m.sub !== undefined ? { sub: m.sub as string } : {}),
    ...(m.local === true ? { local: true } : {}),
    ...(m.ack === true ? { ack: true } : {}),
  };
}

/** The `root` of a status message: absent (all trees), a root id, or null when malformed. */
export function rootOf(msg: unknown): string | undefined | null {
  if (msg === undefined || msg === null) return undefined;
  if (typeof msg !== 'object' || Array.isArray(msg)) return null;
  const root = (msg as { root?: unknown }).root;
  if (root === undefined) return undefined;
  return isJobId(root) ? root.toLowerCase() : null;
}

/**
 * Where a merged tail's lines go on a socket (SPEC §19): a relay's
 * (`ack`, a node's feed to the agent that fans out) keeps at most
 * ACK_WINDOW batches unacknowledged, a reader's waits for its buffer to
 * drain; the end and a failure release what the tail held.
 */
export function tailSocketSink(
  socket: Client,
  sub: string,
  ack: boolean,
  release: () => void,
): TailSink {
  const unacked: Array<Promise<unknown>> = [];
  let closed = false;
  const send = async (msg: LogsData): Promise<void> => {
    if (closed) return;
    if (ack) {
      // the typed map declares the ack optional, which emitWithAck's typing cannot express
      const acked = socket.timeout(ACK_TIMEOUT_MS) as unknown as {
        emitWithAck(event: 'logs:data', msg: LogsData): Promise<unknown>;
      };
      const taken = acked.emitWithAck('logs:data', msg);
      taken.catch(() => undefined); // awaited below, in its turn
      unacked.push(taken);
      if (unacked.length >= ACK_WINDOW) await unacked.shift()?.catch(() => undefined);
      return;
    }
    socket.emit('logs:data', msg);
    await drained(socket);
  };
  return {
    lines: (lines) => send({ sub, lines }),
    // in order after the lines before it: on the same socket, as a batch of none
    ready: () => void send({ sub, lines: [], ready: true }),
    end: () => {
      if (closed) return;
      closed = true;
      release();
      socket.emit('logs:end', { sub });
    },
    error: (code, message) => {
      if (closed) return;
      closed = true;
      release();
      socket.emit('logs:error', { sub, code, message });
    },
  };
}

/**
 * Where one log subscription's messages go on a client's socket: a relay's
 * (`ack`) waits for each chunk to be taken, a reader's for its buffer to
 * drain; the end and a failure release what the subscription held.
 */
export function socketSink(socket: Client, msg: LogSubscribe, release: () => void): LogSink {
  const { job, sub } = msg;
  const tag = sub === undefined ? {} : { sub };
  const unacked: Array<Promise<unknown>> = [];
  return {
    data: async (offset, data, archived) => {
      const from = archived ? { archived: true as const } : {};
      if (msg.ack) {
        // a relay: past ACK_WINDOW chunks, the next waits until the oldest was taken by its reader
        // the typed map declares the ack optional, which emitWithAck's typing cannot express
        const acked = socket.timeout(ACK_TIMEOUT_MS) as unknown as {
          emitWithAck(event: 'log:data', msg: LogData): Promise<unknown>;
        };
        const taken = acked.emitWithAck('log:data', { job, offset, data, ...tag, ...from });
        taken.catch(() => undefined); // awaited below, in its turn: never an unhandled rejection
        unacked.push(taken);
        if (unacked.length >= ACK_WINDOW) await unacked.shift();
        return;
      }
      socket.emit('log:data', { job, offset, data, ...tag, ...from });
      await drained(socket);
    },
    end: (size, s) => {
      release();
      socket.emit('log:end', { job, size, state: s, ...tag });
    },
    error: (code, message) => {
      release();
      socket.emit('log:error', { job, code, message, ...tag });
    },
  };
}
