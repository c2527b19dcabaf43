/**
 * One socket.io connection per page (SPEC §6), carrying the session's
 * token in its handshake; made again when the token changes. socket.io
 * reconnects by itself; views resubscribe on every `connect`.
 */
import { io, type Socket } from 'socket.io-client';
import type { ClientToServer, ServerToClient } from '../logstream/events.js';
import { token, tokenRefused } from './session.js';

export type UiSocket = Socket<ServerToClient, ClientToServer>;

let socket: UiSocket | null = null;

export function getSocket(): UiSocket {
  if (!socket) {
    const s: UiSocket = io({
      transports: ['websocket'],
      auth: (cb) => cb(token() ? { token: token() } : {}),
    });
    s.on('connect_error', (err) => {
      if (err.message === 'UNAUTHORIZED') {
        tokenRefused(token() ? 'The server refused this token.' : 'This cluster needs its token.');
      }
    });
    socket = s;
  }
  return socket;
}

/** Drops the connection so the next getSocket() uses a new token. */
export function resetSocket(): void {
  socket?.disconnect();
  socket = null;
}

/** Runs `subscribe` now if connected and on every later (re)connect; returns the cleanup. */
export function onConnected(s: UiSocket, subscribe: () => void): () => void {
  s.on('connect', subscribe);
  if (s.connected) subscribe();
  return () => {
    s.off('connect', subscribe);
  };
}
