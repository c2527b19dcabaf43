/**
 * What the agent hands the layer that serves its HTTP API, and what it gets
 * back. The agent never imports the API (it sits above the agent); the
 * command that starts the daemon passes the factory in.
 */
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { JobLogs } from '../logstream/job-logs.js';
import type { BigReads } from '../access/big-reads.js';
import type { HostPolicy } from '../access/host-policy.js';
import type { JobTokenCheck, Tokens } from '../access/tokens.js';
import type { Admission } from '../admission/admission.js';
import type { Definitions } from '../admission/definitions.js';
import type {
  ArchivePort,
  EventPort,
  HealthPort,
  NodePort,
  ReadPort,
  RecordsPort,
  TreeWritePort,
} from '../store/store.js';
import type { JsonObject } from '../shared/types.js';

/** The ports the API is given: it reads, writes trees, drains, subscribes; it never claims or ends a job. */
export type ApiStore = ReadPort &
  TreeWritePort &
  NodePort &
  RecordsPort &
  EventPort &
  HealthPort &
  Pick<ArchivePort, 'readArchive' | 'archivedJobs'>;

export interface ApiContext {
  store: ApiStore;
  node: string;
  /** Where submissions and grafts are validated and planned. */
  admission: Admission;
  /** Definitions, their runs and inboxes (SPEC §13). */
  definitions: Definitions;
  /**
   * Loads a module job type's source in a throwaway worker process and
   * answers the params schema of its type `name`; a ValidationError
   * (BAD_MODULE) says why it cannot load (SPEC §11 registration).
   */
  checkModule(source: string, name: string): Promise<{ paramsSchema: JsonObject }>;
  /** The admin, run and read tokens (SPEC §10, §18). */
  tokens: Tokens;
  /** Tells the tokens of the jobs this agent runs (SPEC §18 job identity). */
  jobTokens?: JobTokenCheck;
  /** The Host and Origin headers this agent takes (SPEC §18). */
  hosts: HostPolicy;
  /** Reads of big trees, at most limits.bigReads at once (SPEC §18). */
  bigReads: BigReads;
  /** False on a node that runs no registered code: it refuses registrations (SPEC §18). */
  acceptsRegistered(): boolean;
  /** The CA other nodes' certificates chain to (`tls.ca`), for proxied reads. */
  peerCa?: Buffer;
  /** This agent serves TLS: it proxies to no plain-http peer (SPEC §18). */
  ownTls: boolean;
  metrics: Registry;
  logger: Logger;
  version: string;
  /** The job logs on this node's disk. */
  logs: JobLogs;
  /** How long this node scans its logs for a search (`logs.searchBudgetMs`, SPEC §19). */
  searchBudgetMs: number;
  /** Whether logs of nodes that are gone are read from their archive, and its size (SPEC §19). */
  archive: { enabled: boolean; maxBytes: number };
}

export interface ServedApi {
  handler: RequestListener;
  /** Releases what the API holds (its Pub/Sub subscription). */
  close(): Promise<void>;
}

export type ApiFactory = (context: ApiContext) => ServedApi;
