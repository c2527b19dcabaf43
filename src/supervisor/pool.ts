/**
 * The supervisor processes this agent started (main.ts is one). Each runs
 * one job at a time; an idle one is kept for the next job for IDLE_MS, as a
 * Node process costs some 50 ms of CPU to start, ten times a shell job's
 * own cost. Letting one go ends its stdin: it finishes its job and exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { FromSupervisor, ToSupervisor } from './protocol.js';
import type { SuperviseSpec } from './records.js';

// Always the compiled file, from src (tests run through tsx, which a child
// process does not inherit) and from dist alike, as the type worker is.
const SUPERVISOR = fileURLToPath(new URL('../../dist/supervisor/main.js', import.meta.url));
// A supervisor is small: it holds two pipes and a file. These keep its heap so.
const V8_FLAGS = ['--max-old-space-size=32', '--max-semi-space-size=1'];
/** How long an idle supervisor waits for another job before it is let go. */
const IDLE_MS = 10_000;

export interface SupervisorEvents {
  /** The job's end is in its exit record. */
  ended: [id: string];
  /** The process is gone, saying how. */
  exit: [why: string];
}

export class SupervisorProcess extends EventEmitter<SupervisorEvents> {
  /** The job it runs now. */
  job: string | undefined;
  private readonly child: ChildProcess;
  private gone = false;

  /** `stderrFile` takes what the supervisor says on stderr (a crash: the agent quotes it). */
  constructor(stderrFile: string) {
    super();
    const err = openSync(stderrFile, 'a', 0o600);
    try {
      this.child = spawn(process.execPath, [...V8_FLAGS, SUPERVISOR], {
        detached: true, // a session of its own: it outlives the agent and its terminal
        stdio: ['pipe', 'pipe', err],
        env: {}, // each job's environment travels in its spec, not the agent's NODE_OPTIONS
      });
    } finally {
      closeSync(err);
    }
    this.child.stdin?.on('error', () => undefined); // it died: its exit says why
    createInterface({ input: this.child.stdout!, crlfDelay: Infinity }).on('line', (line) => {
      const message = JSON.parse(line) as FromSupervisor;
      if (message.id === this.job) this.job = undefined;
      this.emit('ended', message.id);
    });
    const onGone = (why: string): void => {
      if (this.gone) return;
      this.gone = true;
      this.emit('exit', why);
    };
    this.child.once('exit', (code, signal) =>
      onGone(signal ? `was killed by ${signal}` : `exited with code ${code}`),
    );
    this.child.once('error', (e) => onGone(`could not start (${e.message})`));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.gone;
  }

  run(spec: SuperviseSpec): void {
    this.job = spec.id;
    this.send({ type: 'run', spec });
  }

  /** Stops the job `id` if it is still the one running. */
  stop(id: string): void {
    if (this.job === id) this.send({ type: 'stop', id });
  }

  /** Lets it go: it finishes its job and exits; it no longer keeps this process alive. */
  release(): void {
    this.child.stdin?.end();
    this.child.unref();
    (this.child.stdout as Socket | null)?.unref();
  }

  private send(message: ToSupervisor): void {
    this.child.stdin?.write(`${JSON.stringify(message)}\n`);
  }
}

export class SupervisorPool {
  private readonly idle = new Map<SupervisorProcess, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly stderrFile: string) {}

  /** An idle supervisor, or a new one. */
  take(): SupervisorProcess {
    for (const [proc, timer] of this.idle) {
      this.idle.delete(proc);
      clearTimeout(timer);
      if (proc.alive) return proc;
    }
    return new SupervisorProcess(this.stderrFile);
  }

  /** Takes back a supervisor whose job ended, for the next job. */
  give(proc: SupervisorProcess): void {
    if (this.closed || !proc.alive) return proc.release();
    const timer = setTimeout(() => {
      this.idle.delete(proc);
      proc.release();
    }, IDLE_MS);
    timer.unref();
    this.idle.set(proc, timer);
  }

  /** Lets every idle supervisor go, and each one given back from now on. */
  close(): void {
    this.closed = true;
    for (const [proc, timer] of this.idle) {
      clearTimeout(timer);
      proc.release();
    }
    this.idle.clear();
  }
}
