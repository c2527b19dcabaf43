/**
 * The node's heartbeat (SPEC §9): refreshes its TTL key and info every
 * interval, then runs the agent's catch-up work (draining the signal list
 * so an abort whose Pub/Sub message was lost still arrives, adopting lost
 * claims) within one interval.
 */
import type { Logger } from 'pino';
import type { NodeInfo, NodePort } from '../store/store.js';
import { every, type Repeater } from '../shared/every.js';

export class Heartbeat {
  private repeater: Repeater | undefined;

  constructor(
    private readonly store: NodePort,
    private readonly info: NodeInfo,
    private readonly options: { intervalMs: number; ttlMs: number },
    private readonly running: () => number,
    /** Runs after each beat, with what the beat learnt (an operator's drain). */
    private readonly afterBeat: (beat: { draining: boolean }) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  /** One beat now; errors are logged, never thrown (the next beat retries). */
  async beat(): Promise<void> {
    try {
      const beat = await this.store.heartbeat(
        this.info,
        { running: this.running() },
        this.options.ttlMs,
      );
      await this.afterBeat(beat);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'heartbeat failed');
    }
  }

  start(): void {
    this.repeater = every(this.options.intervalMs, () => this.beat());
  }

  async stop(): Promise<void> {
    await this.repeater?.stop();
  }
}
