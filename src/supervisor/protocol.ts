/**
 * What the agent and a supervisor it started say to each other: one JSON
 * object a line, the agent's on the supervisor's stdin, the supervisor's on
 * its stdout. A supervisor found by an agent that started again has no such
 * pipe: that agent reads its records and signals it.
 */
import type { SuperviseSpec } from './records.js';

export type ToSupervisor =
  /** Run this job (the supervisor is idle). */
  | { type: 'run'; spec: SuperviseSpec }
  /** Stop this job, if it is the one running (SIGTERM to its group, SIGKILL after the grace). */
  | { type: 'stop'; id: string };

/** The job's end is in its exit record. */
export type FromSupervisor = { type: 'ended'; id: string };
