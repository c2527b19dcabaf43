/**
 * The contract between the job runtime (job types, the runner) and the
 * supervisor that runs a job's process (SPEC §16): what a process is, how
 * its outcome is read, and the failure both sides raise. Both import it,
 * neither imports the other's room for it (Nomad's `interfaces/`).
 */

/** What the job's process is: its outcome is read differently (SPEC §5, §11). */
export type ProcessKind = 'shell' | 'executable';

/** A process a job runs (shell jobs, executable types). */
export interface JobProcess {
  file: string;
  args: string[];
  cwd?: string | undefined;
  /** Added to the job's environment (the agent's without its settings, and JOBTREE_* of the job). */
  env?: Record<string, string> | undefined;
  /** Written to the process's stdin, which is then closed; no stdin without it. */
  stdin?: string;
  /** Files whose new lines go to the log while it runs. */
  follow?: string[];
}

/** A job's process with its whole environment (the runner adds the agent's and JOBTREE_*). */
export type ProcessSpec = Omit<JobProcess, 'env'> & { env: Record<string, string> };

/** A failure with a code of the job type's choosing (`EXIT`), kept as the job's error. */
export class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'JobFailure';
  }
}
