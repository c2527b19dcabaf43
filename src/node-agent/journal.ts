/**
 * The node's on-disk journal of job ends (SPEC §9). While Redis cannot be
 * reached, each FinishReport is appended as one JSON line and flushed to
 * disk before the runner moves on; when Redis is back they are sent in
 * the order they were written, and the file is emptied. Sending an entry
 * twice (a crash between sending and emptying) is harmless: finishJobs
 * refuses a report for a job that is no longer RUNNING, so every end is
 * written, and published, once.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isRedisUnavailable, UnavailableError, type JobtreeError } from '../shared/errors.js';
import type { FinishAnswer, FinishReport } from '../store/store.js';

/** Sends one batch; answers per report, like Store.finishJobs. */
export type SendBatch = (reports: FinishReport[]) => Promise<Array<FinishAnswer | JobtreeError>>;

const REPLAY_BATCH = 100;

function parseLines(text: string): { entries: FinishReport[]; torn: number } {
  const entries: FinishReport[] = [];
  let torn = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      entries.push(JSON.parse(line) as FinishReport);
    } catch {
      torn++; // a line cut short by a crash mid-write: its job is ended by the restart rule
    }
  }
  return { entries, torn };
}

export class Journal {
  private entries: FinishReport[];
  private handle: FileHandle | undefined;
  /** Serialises appends and rewrites, so a rewrite never drops a newer append. */
  private chain: Promise<void> = Promise.resolve();
  /** Lines that could not be parsed when the file was loaded. */
  readonly tornLines: number;

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    let text = '';
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const { entries, torn } = parseLines(text);
    this.entries = entries;
    this.tornLines = torn;
  }

  static inDataDir(dataDir: string): Journal {
    return new Journal(join(dataDir, 'journal.ndjson'));
  }

  /** Entries written and not yet accepted by Redis. */
  get size(): number {
    return this.entries.length;
  }

  /** Appends reports and resolves once they are on disk (fdatasync). */
  append(reports: FinishReport[]): Promise<void> {
    return this.serially(async () => {
      // The freed-parent claim is for a slot that has moved on by replay time.
      const clean = reports.map(({ claimFor: _claimFor, ...rest }) => rest);
      this.handle ??= await open(this.path, 'a', 0o600); // job results: the agent's only
      await this.handle.write(clean.map((r) => `${JSON.stringify(r)}\n`).join(''));
      await this.handle.datasync();
      this.entries.push(...clean);
    });
  }

  /** The entries written and not yet accepted by Redis, oldest first. */
  get reports(): readonly FinishReport[] {
    return this.entries;
  }

  /**
   * Sends the entries in order, in batches, removing each from the file
   * once Redis has answered for it (a report Redis refuses counts as
   * answered). Entries of one part of the store (`partOf`, a Cluster's
   * shard) keep their order: once one of a part is answered unavailable,
   * the later ones of that part wait, and the other parts go on. Rejects
   * when any entry is left, to be replayed again.
   */
  async replay(
    send: SendBatch,
    onRefused: (r: FinishReport, e: JobtreeError) => void,
    partOf: (r: FinishReport) => number = () => 0,
  ): Promise<void> {
    const stuck = new Set<number>();
    // the live entries, so that ends appended meanwhile are replayed too
    for (;;) {
      const batch = this.entries.filter((r) => !stuck.has(partOf(r))).slice(0, REPLAY_BATCH);
      if (batch.length === 0) break;
      let answers: Array<FinishAnswer | JobtreeError>;
      try {
        answers = await send(batch);
      } catch (err) {
        if (!isRedisUnavailable(err)) throw err;
        answers = batch.map(() => err);
      }
      const answered = new Set<FinishReport>();
      answers.forEach((a, i) => {
        const r = batch[i] as FinishReport;
        if (isRedisUnavailable(a)) stuck.add(partOf(r));
        else if (!stuck.has(partOf(r))) {
          if (!('state' in a)) onRefused(r, a);
          answered.add(r);
        }
      });
      if (answered.size > 0) await this.serially(() => this.drop(answered));
    }
    if (stuck.size > 0) throw new UnavailableError('Redis is unavailable', 'REDIS_UNAVAILABLE', 2);
  }

  async close(): Promise<void> {
    await this.serially(async () => {
      await this.handle?.close();
      this.handle = undefined;
    });
  }

  private async drop(answered: Set<FinishReport>): Promise<void> {
    this.entries = this.entries.filter((r) => !answered.has(r));
    await this.handle?.close();
    this.handle = undefined;
    // Written aside and renamed, so a crash leaves the old file or the new one, never half of one.
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, this.entries.map((r) => `${JSON.stringify(r)}\n`).join(''), {
      flush: true,
      mode: 0o600,
    });
    await rename(tmp, this.path);
  }

  private serially(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
