/**
 * The node agent (Sidekiq's Launcher): claims its node name, settles what
 * a crashed previous run left RUNNING, serves the API, heartbeats, claims
 * and runs jobs, and stops cleanly. Shutting the agent down (stop) is kept
 * apart from aborting a job (Claimer.stopJob), as nomad keeps its contexts.
 */
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { NodeInfo, Store, Subscription } from '../store/store.js';
import { Keys } from '../store/keys.js';
import { JobtreeError } from '../shared/errors.js';
import { JobLogs } from '../logstream/job-logs.js';
import { LogServer } from '../logstream/server.js';
import type { ServedApi, ApiFactory } from './api-factory.js';
import { Claimer } from './claimer.js';
import { graftChildren } from './graft.js';
import { Heartbeat } from './heartbeat.js';
import { Housekeeper } from './housekeeper.js';
import { Journal } from './journal.js';
import { Reporter } from './reporter.js';
import { claimIdentity } from './identity.js';
import { createRegistry } from './job-types/builtins.js';
import { AgentMetrics } from './metrics.js';
import { packageVersion } from './version.js';

/** Waits for Redis at start (an agent restarted during an outage must still come up and replay). */
async function waitForRedis(store: Store, log: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await store.ping();
      return;
    } catch (err) {
      if (!(err instanceof JobtreeError && err.code === 'REDIS_UNAVAILABLE')) throw err;
      if (attempt === 0) log.warn('waiting for Redis');
      await new Promise((res) => setTimeout(res, Math.min(100 * 2 ** attempt, 1000)));
    }
  }
}

export interface AgentDeps {
  config: Config;
  store: Store;
  logger: Logger;
  /** Serves the HTTP API (serveApi from src/api); passed in so the agent never imports the API. */
  api: ApiFactory;
}

export class Agent {
  readonly types;
  private server: Server | undefined;
  private claimer: Claimer | undefined;
  private heartbeat: Heartbeat | undefined;
  private reporter: Reporter | undefined;
  private housekeeper: Housekeeper | undefined;
  private subscription: Subscription | undefined;
  private api: ServedApi | undefined;
  private logServer: LogServer | undefined;
  private info: NodeInfo | undefined;
  private stopping: Promise<void> | undefined;
  private readonly logs: JobLogs;

  constructor(private readonly deps: AgentDeps) {
    this.types = createRegistry(deps.config);
    this.logs = new JobLogs(deps.config.dataDir);
  }

  get config(): Config {
    return this.deps.config;
  }

  /** The URL this agent serves at (known once started). */
  get url(): string {
    if (!this.info) throw new Error('agent not started');
    return this.info.url;
  }

  /** Open relay connections to other nodes (the relay closes them when unused). */
  get logServerConnections(): number {
    return this.logServer?.relay.connections ?? 0;
  }

  get runId(): string {
    if (!this.info) throw new Error('agent not started');
    return this.info.runId;
  }

  async start(): Promise<void> {
    const { config, store } = this.deps;
    const log = this.deps.logger.child({ mod: 'agent' });
    await waitForRedis(store, log);
    const runId = await claimIdentity(store, config.node, config.dataDir);
    const version = packageVersion();
    let running = (): number => 0;
    const metrics = new AgentMetrics(
      store,
      config.node,
      () => running(),
      () => this.logServerConnections,
    );
    this.api = this.deps.api({
      store,
      node: config.node,
      types: this.types,
      token: config.auth.token,
      metrics: metrics.registry,
      logger: this.deps.logger.child({ mod: 'api' }),
      version,
      logs: this.logs,
      maxQueued: config.backlog.maxQueued,
    });
    this.server = createServer(this.api.handler);
    this.logServer = new LogServer(this.server, {
      store,
      logs: this.logs,
      node: config.node,
      token: config.auth.token,
    });
    this.server.listen(config.port, config.host);
    await once(this.server, 'listening');
    const port = (this.server.address() as AddressInfo).port;
    const info: NodeInfo = {
      name: config.node,
      url:
        config.url ??
        `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
      runId,
      pid: process.pid,
      host: hostname(),
      dataDir: config.dataDir,
      concurrency: config.concurrency,
      version,
      types: this.types.names(),
      startedAt: Date.now(),
    };
    this.info = info;
    await store.registerNode(info, config.heartbeat.ttlMs);
    // Ends a previous run journalled during an outage go first: those jobs
    // finished, and must not be settled as AGENT_RESTARTED below.
    const reporter = new Reporter(
      store,
      Journal.inDataDir(config.dataDir),
      this.deps.logger.child({ mod: 'reporter' }),
      () => this.claimer?.wake(),
    );
    this.reporter = reporter;
    await reporter.replay();
    const settled = await store.failRunning(
      config.node,
      runId,
      'AGENT_RESTARTED',
      `agent ${config.node} restarted while the job ran`,
      Date.now(),
    );
    if (settled > 0) log.warn({ settled }, 'settled jobs left running by a previous run');
    const claimer = new Claimer(
      store,
      {
        reporter,
        types: this.types,
        node: config.node,
        token: runId,
        logs: this.logs,
        serverUrl: info.url,
        logger: this.deps.logger.child({ mod: 'runner' }),
        addChildren: async (parentId, jobs) =>
          (await graftChildren(store, this.types, parentId, { jobs })).map((j) => j.id),
        takesWork: () => this.stopping === undefined && !reporter.backlogged,
        onFinished: (job, state) => {
          metrics.finished.inc({ state, type: job.type });
          metrics.claimLatency.observe(
            { type: job.type },
            Math.max(0, job.startedAt - job.queuedAt) / 1000,
          );
        },
      },
      { concurrency: config.concurrency, batch: config.claim.batch, pollMs: config.claim.pollMs },
      this.deps.logger.child({ mod: 'claimer' }),
    );
    this.claimer = claimer;
    running = () => claimer.size;
    const drainSignals = async (): Promise<void> => {
      for (const s of await store.popSignals(config.node)) claimer.stopJob(s.id, 'tree');
    };
    const keys = new Keys(store.prefix);
    const wake = keys.wakeChannel(config.node);
    this.subscription = store.subscribe(
      [wake, keys.wakeChannel('*'), keys.signalChannel(config.node)],
      (channel) => {
        if (channel === keys.signalChannel(config.node)) void drainSignals().catch(() => undefined);
        else claimer.wake();
      },
    );
    await this.subscription.ready;
    const afterBeat = async (): Promise<void> => {
      await drainSignals();
      await claimer.adoptOrphans();
    };
    this.heartbeat = new Heartbeat(store, info, config.heartbeat, running, afterBeat, log);
    this.heartbeat.start();
    this.housekeeper = new Housekeeper(
      store,
      {
        holder: `${config.node}/${runId}`,
        intervalMs: config.heartbeat.intervalMs,
        ttlMs: config.heartbeat.ttlMs,
        retention: config.retention,
        dataDir: config.dataDir,
      },
      this.deps.logger.child({ mod: 'housekeeper' }),
    );
    this.housekeeper.start();
    claimer.start();
    log.info({ url: info.url, concurrency: config.concurrency, runId }, 'agent started');
  }

  /** Stops claiming, lets running jobs finish for up to the grace period, aborts the rest, exits cleanly. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const { config, store } = this.deps;
    const log = this.deps.logger.child({ mod: 'agent' });
    log.info('agent stopping');
    this.claimer?.pause();
    await this.claimer?.drain(config.shutdown.graceMs);
    await this.logs.drain();
    await this.reporter?.close();
    this.heartbeat?.stop();
    await this.housekeeper?.stop();
    await this.subscription?.close();
    await this.api?.close();
    await this.logServer?.close();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    }
    if (this.info) await store.unregisterNode(config.node, this.info.runId).catch(() => undefined);
    log.info('agent stopped');
  }
}
