/**
 * Follows one job log on this node's disk from a byte offset (SPEC §6):
 * sends what is there in 64 KiB chunks, waits for the writer to say the
 * file grew, and ends with the size once the job is over and its log is
 * complete. Offsets are exact: each chunk starts where the last one ended,
 * and a UTF-8 character split by a chunk waits for the next one.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import type { LogSink } from './events.js';
import type { JobLogs } from './job-logs.js';
import { readLog } from './reader.js';

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
  private readonly decoder = new StringDecoder('utf8');
  private readonly onEvent = (id: string): void => {
    if (id === this.target.id) this.poke();
  };

  constructor(
    private readonly target: FollowTarget,
    private readonly logs: JobLogs,
    private readonly sink: LogSink,
  ) {}

  /** Starts at `offset` (negative: the last |offset| bytes from a line start). */
  async start(offset: number): Promise<void> {
    const range = await readLog(this.target.path, offset);
    range.stream?.destroy();
    this.pos = range.start;
    this.readPos = range.start;
    // Listen only now: a growth event during the read above would have started
    // a pump from byte 0. What grew meanwhile is read by the poke below.
    this.logs.on('log:grew', this.onEvent);
    this.logs.on('log:closed', this.onEvent);
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

  /** A status event for `id`: read on if it is this follower's job. */
  pokeFor(id: string): void {
    if (id === this.target.id) this.poke();
  }

  stop(): void {
    this.stopped = true;
    this.logs.off('log:grew', this.onEvent);
    this.logs.off('log:closed', this.onEvent);
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
          if (state !== null && (await this.size()) <= this.readPos) {
            this.sink.end(this.pos, state);
            this.stop();
          }
        }
      } while (this.again && !this.stopped);
    } catch (err) {
      this.sink.error('READ_FAILED', (err as Error).message);
      this.stop();
    } finally {
      this.pumping = false;
    }
  }

  private async send(size: number): Promise<void> {
    const stream = createReadStream(this.target.path, {
      start: this.readPos,
      end: size - 1,
      highWaterMark: 64 * 1024,
    });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (this.stopped) {
        stream.destroy();
        return;
      }
      this.readPos += chunk.length;
      const text = this.decoder.write(chunk);
      if (text.length === 0) continue;
      const at = this.pos;
      this.pos += Buffer.byteLength(text);
      await this.sink.data(at, text);
    }
  }
}
