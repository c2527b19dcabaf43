/**
 * The shape of a validated, frozen agent configuration (src/config/load.ts).
 */
export interface Config {
  readonly node: string;
  readonly host: string;
  readonly port: number;
  /** The URL other nodes and jobs reach this agent at. */
  readonly url: string | null;
  readonly dataDir: string;
  readonly concurrency: number;
  readonly redis: {
    readonly url: string | null;
    readonly prefix: string;
    readonly embedded: boolean;
    /** SPEC §17: the sentinels that name the master `name` (instead of `url`), as read. */
    readonly sentinels: ReadonlyArray<{ readonly host: string; readonly port: number }> | null;
    readonly name: string | null;
    /** SPEC §17: URLs of Redis Cluster nodes (instead of `url`). */
    readonly cluster: readonly string[] | null;
  };
  readonly heartbeat: { readonly intervalMs: number; readonly ttlMs: number };
  readonly claim: { readonly pollMs: number; readonly batch: number };
  /** A submission that would queue more than this on one node's queue is refused (503). */
  readonly backlog: { readonly maxQueued: number };
  /**
   * What a stop does with running jobs (SPEC §16): `drain` lets them finish
   * for up to graceMs, then aborts them; `detach` leaves the supervised ones
   * (shell, executable types) running for the next agent to re-attach.
   */
  readonly shutdown: { readonly graceMs: number; readonly mode: 'drain' | 'detach' };
  /** Finished trees and their logs are deleted `maxAgeMs` after they finished. */
  readonly retention: { readonly maxAgeMs: number; readonly sweepIntervalMs: number };
  readonly shell: { readonly enabled: boolean; readonly killGraceMs: number };
  /** Plugin job types (SPEC §11): their directories, registrations, worker heap limit. */
  readonly jobTypes: {
    readonly dirs: readonly string[];
    readonly acceptRegistered: boolean;
    readonly maxHeapMb: number;
  };
  /** Directories whose `*.json` definitions are applied at start (SPEC §13). */
  readonly definitions: { readonly dirs: readonly string[] };
  /** The admin, run and read tokens (SPEC §18 roles), and who may reach the agent. */
  readonly auth: {
    readonly token: string | null;
    readonly runToken: string | null;
    readonly readToken: string | null;
    /** A non-loopback address without TLS is refused unless this says so (SPEC §16). */
    readonly allowPlainHttp: boolean;
    /** Host names besides the agent's own that requests may carry (a reverse proxy, SPEC §18). */
    readonly allowedHosts: readonly string[];
  };
  /** PEM files: this agent's certificate and key (HTTPS, WSS), and the CA its peers' chain to. */
  readonly tls: {
    readonly cert: string | null;
    readonly key: string | null;
    readonly ca: string | null;
  };
  /** What one caller may hold of the agent (SPEC §18). */
  readonly limits: {
    readonly subscriptionsPerSocket: number;
    readonly socketsPerClient: number;
    /** Concurrent reads of trees of more than 10,000 jobs; more get 503 BUSY. */
    readonly bigReads: number;
  };
  /** The job logs across the cluster (SPEC §19). */
  readonly logs: {
    /** How long each node scans its files for a search before it answers where it stopped. */
    readonly searchBudgetMs: number;
    /** Each ended job's log, compressed in Redis with its tree: read when its node is gone. */
    readonly archive: { readonly enabled: boolean; readonly maxBytes: number };
    /** The merged tail holds lines back at most `holdMs` to order those of several jobs by time. */
    readonly tail: { readonly holdMs: number };
  };
  readonly log: { readonly level: string };
}
