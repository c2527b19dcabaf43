/**
 * The socket.io events of SPEC §6, typed (graphile's `noun:verb` maps).
 * `sub` is jobtree's own optional extension: a relay tags each upstream
 * subscription so one connection can carry several of the same job.
 */
import type { PausedEvent, StatusEvent, TreeView } from '../shared/types.js';
import type { TailLineView } from '../jobtree/live-tail.js';

/** One line of a merged tail (SPEC §19): its one definition is the readers' core's. */
export type TailLine = TailLineView;

export interface LogSubscribe {
  job: string;
  offset?: number;
  sub?: string;
  /** Set by relays: answer from this node's disk, never relay again. */
  local?: boolean;
  /** Set by relays: acknowledge each log:data, and get the next one only then (flow control). */
  ack?: boolean;
}

export interface LogData {
  job: string;
  offset: number;
  data: string;
  sub?: string;
  /** SPEC §19: read from the job's archive in Redis (its node is not alive). */
  archived?: true;
}

export interface LogEnd {
  job: string;
  size: number;
  state: string;
  sub?: string;
}

export interface LogError {
  job: string;
  code: string;
  message: string;
  sub?: string;
}

/** A merged tail's lines (SPEC §19). */
export interface LogsData {
  sub: string;
  lines: TailLine[];
  /** The last batch of the scope's history: what comes next is new (SPEC §19). */
  ready?: true;
}

export interface LogsError {
  sub: string;
  code: string;
  message: string;
  /** The node the error is about (NODE_UNAVAILABLE): the others go on. */
  node?: string;
}

export interface ClientToServer {
  /** A merged tail (SPEC §19): checked by tail-request.ts. */
  'logs:subscribe': (msg: unknown) => void;
  'logs:unsubscribe': (msg: { sub: string }) => void;
  'log:subscribe': (msg: LogSubscribe) => void;
  'log:unsubscribe': (msg: { job: string; sub?: string }) => void;
  'status:subscribe': (msg?: { root?: string }) => void;
  'status:unsubscribe': (msg?: { root?: string }) => void;
}

export interface ServerToClient {
  'logs:data': (msg: LogsData, ack?: () => void) => void;
  'logs:end': (msg: { sub: string }) => void;
  'logs:error': (msg: LogsError) => void;
  'log:data': (msg: LogData, ack?: () => void) => void;
  'log:end': (msg: LogEnd) => void;
  'log:error': (msg: LogError) => void;
  status: (event: StatusEvent) => void;
  tree: (msg: { root: string; seq: number; tree: TreeView }) => void;
  /** jobtree's extension: a tree was paused or resumed (no job transition, so no seq). */
  'tree:paused': (event: PausedEvent) => void;
}

/** Where one subscription's messages go. */
export interface LogSink {
  /** `archived`: the bytes come from the job's archive, not its node (SPEC §19). */
  data(offset: number, data: string, archived?: boolean): Promise<void> | void;
  end(size: number, state: string): void;
  error(code: string, message: string): void;
}
