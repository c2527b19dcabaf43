/**
 * The socket.io handshake's doors (SPEC §18), before a connection exists:
 * the Host and Origin of the upgrade (a browser page of another site, or a
 * name rebound to loopback, may not connect), and at most
 * `socketsPerClient` open connections from one address. The token is
 * checked next, by the server's `io.use` (it needs the handshake's auth).
 */
import type { IncomingMessage } from 'node:http';
import type { HostPolicy } from './host-policy.js';

/** The open engine.io connections of each client address. */
export class ClientCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** True while `address` may open one more connection. */
  hasRoom(address: string): boolean {
    return (this.open.get(address) ?? 0) < this.max;
  }

  /** Counts a connection from `address`; answers the function that uncounts it (once). */
  add(address: string): () => void {
    this.open.set(address, (this.open.get(address) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.open.get(address) ?? 1) - 1;
      if (n <= 0) this.open.delete(address);
      else this.open.set(address, n);
    };
  }
}

/** The address a request came from (the proxy's, behind a reverse proxy). */
export function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/** socket.io's `allowRequest`: the refusal's code as the message, or none. */
export function handshakeGuard(hosts: HostPolicy, clients: ClientCounter) {
  return (req: IncomingMessage, done: (err: string | null, ok: boolean) => void): void => {
    const refusal = hosts.refusal({
      method: req.method ?? 'GET',
      host: req.headers.host,
      origin: req.headers.origin,
      handshake: true,
    });
    if (refusal !== null) return done(refusal, false);
    if (!clients.hasRoom(clientAddress(req))) return done('TOO_MANY_SOCKETS', false);
    done(null, true);
  };
}
