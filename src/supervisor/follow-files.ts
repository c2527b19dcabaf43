/**
 * Copies the new lines of files a shell job names in `params.follow` into
 * its job log, marked with the file's name, while the job runs (issue 3).
 * Many programs write their own log file rather than stdout. The `tail`
 * package follows a file another program writes, which is exactly this
 * case. It cannot open a file that does not exist yet, so such a file is
 * looked for until it appears and is then read from its first line.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { Tail } from 'tail';

export type FollowLine = (line: string) => void;

/** How often a file that does not exist yet is looked for. */
const APPEAR_POLL_MS = 100;

class FollowedFile {
  private tail: Tail | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /** Call before the job's process starts, so that "new" means written by the job. */
  constructor(
    private readonly path: string,
    private readonly emit: FollowLine,
  ) {
    if (existsSync(path)) this.open(false);
    else this.waitForIt();
  }

  private open(fromBeginning: boolean): void {
    const tag = `[${basename(this.path)}] `;
    try {
      // fs.watch mode: it reads on from its own cursor (its watchFile mode reads from the
      // previous stat's size, which loses lines written before the first poll)
      this.tail = new Tail(this.path, { fromBeginning, follow: true, flushAtEOF: true });
      this.tail.on('line', (line: string) => this.emit(tag + line));
      this.tail.on('error', () => this.stop());
    } catch {
      this.waitForIt(); // removed between the check and the open
    }
  }

  private waitForIt(): void {
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      if (existsSync(this.path)) this.open(true);
      else this.waitForIt();
    }, APPEAR_POLL_MS);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.tail?.unwatch();
  }
}

/** Follows every path; the returned function stops them all. */
export function followFiles(paths: readonly string[], emit: FollowLine): () => void {
  const files = paths.map((p) => new FollowedFile(p, emit));
  return () => {
    for (const f of files) f.stop();
  };
}
