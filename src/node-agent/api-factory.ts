/**
 * What the agent hands the layer that serves its HTTP API, and what it gets
 * back. The agent never imports the API (it sits above the agent); the
 * command that starts the daemon passes the factory in.
 */
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { JobLogs } from '../logstream/job-logs.js';
import type { Store } from '../store/store.js';
import type { TypeRegistry } from './job-types/registry.js';

export interface ApiContext {
  store: Store;
  node: string;
  types: TypeRegistry;
  token: string | null;
  metrics: Registry;
  logger: Logger;
  version: string;
  /** The job logs on this node's disk. */
  logs: JobLogs;
  /** A node queue may hold this many entries; a submission beyond it is a 503. */
  maxQueued: number;
}

export interface ServedApi {
  handler: RequestListener;
  /** Releases what the API holds (its Pub/Sub subscription). */
  close(): Promise<void>;
}

export type ApiFactory = (context: ApiContext) => ServedApi;
