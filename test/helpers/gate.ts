/**
 * A TCP pass-through in front of a test Redis that a test shuts and opens.
 * The outage tests stop the real redis-server; the gate only decides when
 * the agents may reconnect afterwards, so that the test's own subscriber is
 * listening first and can count every message the replay publishes.
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { track } from './track.js';

export class TcpGate {
  private opened = true;
  private readonly sockets = new Set<Socket>();
  private readonly server = createServer((client) => this.accept(client));
  port = 0;

  private constructor(private readonly targetPort: number) {}

  static async start(targetPort: number): Promise<TcpGate> {
    const gate = new TcpGate(targetPort);
    gate.server.listen(0, '127.0.0.1');
    await once(gate.server, 'listening');
    const address = gate.server.address();
    gate.port = typeof address === 'object' && address ? address.port : 0;
    return track(gate, (g) => g.stop());
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Cuts every connection and refuses new ones. */
  shut(): void {
    this.opened = false;
    for (const s of this.sockets) s.destroy();
  }

  open(): void {
    this.opened = true;
  }

  async stop(): Promise<void> {
    this.shut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (!this.opened) {
      client.destroy();
      return;
    }
    const upstream = createConnection(this.targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}
