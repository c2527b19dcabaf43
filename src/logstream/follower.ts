/**
 * Follows one job log on this node's disk from a byte offset (SPEC §6):
 * sends what is there in 64 KiB chunks, waits for the writer to say the
 * file grew, and ends with the size once the job is over and its log is
 * complete. Offsets are exact: each chunk starts where the last one ended,
 * and a UTF-8 character split by a chunk waits for the next one. It holds
 * no file open between reads, and reads at most as many files at once as
 * its server's `reads` allows (SPEC §18); once ended, failed or stopped it
 * holds nothing at all.
 */
import { stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { Semaphore } from '../shared/semaphore.js';
import type { LogSink } from './events.js';
import type { JobLogs } from './job-logs.js';
import { readChunk, readLog } from './reader.js';

const CHUNK = 64 * 1024;

export interface FollowTarget {
  id: string;
  path: string;
  /** The job's state when it is over, else null (read when the log is complete). */
  finalState(): Promise<string | null>;
}

export class LogFollower {
  /** Bytes sent (the offset of the next chunk). */
  private pos = 0;
  /** Bytes read; ahead of pos by a UTF-8 character split across chunks. */
  private readPos = 0;
  private pumping = false;
  private again = false;
  private stopped = false;
  private unwatch: (() => void) | undefined;
  private readonly decoder = new StringDecoder('utf8');

  constructor(
    private readonly target: FollowTarget,
    private readonly logs: JobLogs,
    private readonly sink: LogSink,
    private readonly reads: Semaphore,
  ) {}

  /** Starts at `offset` (negative: the last |offset| bytes from a line start). */
  async start(offset: number): Promise<void> {
    const range = await this.reads.with(() => readLog(this.target.path, offset));
    range.stream?.destroy();
    if (this.stopped) return;
    this.pos = range.start;
    this.readPos = range.start;
    // Watch only now: a growth during the read above would have started a
    // pump from byte 0. What grew meanwhile is read by the poke below.
    this.unwatch = this.logs.watch(this.target.id, () => this.poke());
    this.poke();
  }

  /** Something may have changed (the file grew, the job ended): read on. */
  poke(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  /** Stops for good and lets go of everything it holds. */
  stop(): void {
    this.stopped = true;
    this.unwatch?.();
    this.unwatch = undefined;
  }

  private async size(): Promise<number> {
    try {
      return (await stat(this.target.path)).size;
    } catch {
      return 0;
    }
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      do {
        this.again = false;
        const live = this.logs.isLive(this.target.id);
        const size = await this.size();
        if (size > this.readPos) await this.send(size);
        if (!live && !this.stopped) {
          const state = await this.target.finalState();
          if (state !== null && (await this.size()) <= this.readPos && !this.stopped) {
            this.stop();
            this.sink.end(this.pos, state);
          }
        }
      } while (this.again && !this.stopped);
    } catch (err) {
      if (!this.stopped) {
        this.stop();
        this.sink.error('READ_FAILED', (err as Error).message);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Sends the bytes up to `size`, a chunk at a time, each once the sink took the last. */
  private async send(size: number): Promise<void> {
    while (this.readPos < size && !this.stopped) {
      const want = Math.min(CHUNK, size - this.readPos);
      const chunk = await this.reads.with(() => readChunk(this.target.path, this.readPos, want));
      if (chunk.length === 0 || this.stopped) return;
      this.readPos += chunk.length;
      const text = this.decoder.write(chunk);
      if (text.length === 0) continue;
      const at = this.pos;
      this.pos += Buffer.byteLength(text);
      await this.sink.data(at, text);
    }
  }
}
