/**
 * A socket.io client for tests: subscribes to a job log and collects the
 * chunks, checking that each starts where the previous one ended.
 */
import { io, type Socket } from 'socket.io-client';
import type {
  ClientToServer,
  LogEnd,
  LogError,
  ServerToClient,
} from '../../src/logstream/events.js';
import { track } from './track.js';
import { waitFor } from './wait.js';

export type TestSocket = Socket<ServerToClient, ClientToServer>;

export async function connect(url: string, token?: string): Promise<TestSocket> {
  const socket: TestSocket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    auth: token ? { token } : {},
  });
  track(socket, (s) => {
    s.close();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return socket;
}

export interface Collected {
  text: string;
  /** The offset just past the last byte received. */
  next: number;
  end: LogEnd | null;
  error: LogError | null;
  gaps: string[];
}

/** Subscribes `socket` to `job` from `offset` and collects into `into`. */
export function follow(
  socket: TestSocket,
  job: string,
  offset: number,
  into?: Collected,
): Collected {
  const c: Collected = into ?? { text: '', next: offset, end: null, error: null, gaps: [] };
  socket.on('log:data', (m) => {
    if (m.job !== job) return;
    if (c.text !== '' || into) {
      if (m.offset !== c.next) c.gaps.push(`chunk at ${m.offset}, expected ${c.next}`);
    }
    c.text += m.data;
    c.next = m.offset + Buffer.byteLength(m.data);
  });
  socket.on('log:end', (m) => {
    if (m.job === job) c.end = m;
  });
  socket.on('log:error', (m) => {
    if (m.job === job) c.error = m;
  });
  socket.emit('log:subscribe', { job, offset });
  return c;
}

export function until<T>(
  probe: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  what: string,
  timeoutMs = 15000,
): Promise<T> {
  return waitFor(probe, { timeoutMs, what });
}
