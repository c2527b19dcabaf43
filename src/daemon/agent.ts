/**
 * The node agent (Sidekiq's Launcher): claims its node name, ends what
 * a crashed previous run left RUNNING, serves the API, heartbeats, claims
 * and runs jobs, and stops cleanly. Shutting the agent down (stop) is kept
 * apart from aborting a job (Claimer.stopJob), as nomad keeps its contexts.
 */
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { hostname } from 'node:os';
import { EventEmitter, once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { JobState } from '../shared/types.js';
import type { ClaimedJob, NodeInfo, Store, Subscription } from '../store/store.js';
import { Admission } from '../admission/admission.js';
import { applyDefinitionDirs, Definitions } from '../admission/definitions.js';
import { LogArchiver } from '../logstream/archive.js';
import { JobLogs } from '../logstream/job-logs.js';
import { LogServer } from '../logstream/server.js';
import { AgentAccess } from './agent-access.js';
import type { ServedApi, ApiFactory } from './api-factory.js';
import { ClaimLedger } from '../node-agent/claim-ledger.js';
import { Claimer } from '../node-agent/claimer.js';
import { Heartbeat } from '../node-agent/heartbeat.js';
import { Housekeeper } from '../upkeep/housekeeper.js';
import { Journal } from '../node-agent/journal.js';
import { Reporter } from '../node-agent/reporter.js';
import { claimIdentity, runFile } from './identity.js';
import { createRegistry } from '../node-agent/job-types/builtins.js';
import { AgentMetrics } from './metrics.js';
import { checkModule } from '../plugins/check-module.js';
import { TypeLoader } from '../plugins/type-loader.js';
import { packageVersion } from './version.js';
import { restartKeys } from './reload.js';
import { ProcessHost } from '../supervisor/host.js';
import type { ProcessKind } from '../contracts/job-process.js';
import type { Supervised } from '../supervisor/supervised.js';
import { readTls, type TlsFiles } from './tls-files.js';
import { waitForRedis } from './wait-for-redis.js';

/** A job a previous run left under a supervisor, handed to this run. */
interface Resumed {
  job: ClaimedJob;
  supervised: Supervised;
  kind: ProcessKind;
}

export interface AgentDeps {
  config: Config;
  store: Store;
  logger: Logger;
  /** Serves the HTTP API (serveApi from src/api); passed in so the agent never imports the API. */
  api: ApiFactory;
  /** The agent's environment: what its jobs start from, without its settings (SPEC §18). */
  env: Readonly<Record<string, string | undefined>>;
}

export interface AgentEvents {
  /**
   * A job this agent ran has ended, with its state as Redis stored it (as
   * reported, when the end was journalled in an outage). For embedders and
   * the benchmark; Pub/Sub carries the same to every node.
   */
  'job:end': [end: { id: string; root: string; parent: string | null; state: JobState }];
}

export class Agent extends EventEmitter<AgentEvents> {
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
  /** Ends a start still waiting for Redis (abortStart). */
  private readonly startWait = new AbortController();
  private readonly logs: JobLogs;
  private readonly admission: Admission;
  private readonly definitions: Definitions;
  private loader: TypeLoader | undefined;
  /** The config of the last reload (the live parts of it are applied). */
  private reloaded: Config | undefined;
  /** An operator asked this node to drain: it claims nothing (SPEC §16). */
  private draining = false;
  /** Tokens, Host policy, big reads, job tokens and environment: read by the doors on every request. */
  private readonly access: AgentAccess;
  private readonly tls: TlsFiles;
  /** The supervised jobs (shell, executable types) of this node (SPEC §16). */
  private readonly processes: ProcessHost;
  /** The abort signals being popped now, and whether more came meanwhile. */
  private popping: Promise<void> | undefined;
  private popAgain = false;
  /** Set by abortRunning: a stop then aborts supervised jobs too, never detaches them. */
  private aborting = false;

  /** Where the logs of ended jobs go (SPEC §19), unless `logs.archive.enabled` is false. */
  private archiver(deps: AgentDeps): LogArchiver | undefined {
    const { enabled, maxBytes } = deps.config.logs.archive;
    if (!enabled) return undefined;
    const log = deps.logger.child({ mod: 'archive' });
    return new LogArchiver({
      store: deps.store,
      node: deps.config.node,
      maxBytes,
      onDropped: (count, reason) => log.warn({ count, reason }, 'job logs not archived'),
    });
  }

  constructor(private readonly deps: AgentDeps) {
    super();
    this.types = createRegistry(deps.config);
    this.logs = new JobLogs(deps.config.dataDir, this.archiver(deps));
    this.processes = new ProcessHost(
      {
        dataDir: deps.config.dataDir,
        killGraceMs: deps.config.shell.killGraceMs,
        orphanMs: deps.config.heartbeat.ttlMs,
        agentFile: runFile(deps.config.dataDir),
      },
      (id) => this.logs.changed(id),
    );
    this.access = new AgentAccess(deps.config, deps.store, deps.env);
    this.tls = readTls(deps.config.tls);
    this.admission = new Admission({
      store: deps.store,
      node: deps.config.node,
      types: this.types,
      maxQueued: deps.config.backlog.maxQueued,
    });
    this.definitions = new Definitions(
      deps.store,
      this.admission,
      deps.logger.child({ mod: 'definitions' }),
    );
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

  /**
   * Comes up in the order SPEC §9 needs: Redis, the node name, the API,
   * the journal of a previous run, then the settling of what that run left
   * RUNNING, and only then new work.
   */
  async start(): Promise<void> {
    const { config, store } = this.deps;
    const log = this.deps.logger.child({ mod: 'agent' });
    // SPEC §18: a record nobody can read is skipped, and said so (at most 20 lines a minute)
    store.onCorrupt((record) => log.warn(record, 'skipped a record that cannot be read'));
    await waitForRedis(store, log, this.startWait.signal);
    const { runId, takesOver } = await claimIdentity(store, config.node, config.dataDir);
    this.access.openJobTokens(config.dataDir, {
      runs: (root, id, attempt) => this.claimer?.runs(root, id, attempt) ?? false,
    });
    await this.loadTypes();
    const metrics = new AgentMetrics(store, config.node, {
      running: () => this.claimer?.size ?? 0,
      relays: () => this.logServerConnections,
      sockets: () => this.logServer?.sockets ?? 0,
      followers: () => this.logServer?.following ?? 0,
      tails: () => this.logServer?.tailing ?? 0,
    });
    const info = await this.serve(runId, metrics);
    this.info = info;
    this.setDraining((await store.registerNode(info, config.heartbeat.ttlMs)).draining);
    await applyDefinitionDirs(
      this.definitions,
      config.definitions.dirs,
      this.deps.logger.child({ mod: 'definitions' }),
    );
    const ledger = new ClaimLedger(); // this run's claims in flight, shared by ends and fills
    const { reporter, resumed } = await this.endPreviousRun(runId, takesOver, ledger, log);
    const claimer = this.makeClaimer(info, reporter, ledger, metrics);
    this.claimer = claimer;
    for (const r of resumed) claimer.resume(r.job, r.supervised, r.kind);
    await this.listen(claimer);
    this.startBackground(info, claimer, log);
    claimer.start();
    log.info({ url: info.url, concurrency: config.concurrency, runId }, 'agent started');
  }

  /**
   * Loads the plugin types before any claim (a claimed job of a type not
   * loaded yet would fail), and publishes each later change at once so
   * that every node checks submissions against it (SPEC §11).
   */
  private async loadTypes(): Promise<void> {
    const { config, store } = this.deps;
    this.loader = new TypeLoader(
      store,
      this.types,
      {
        dirs: config.jobTypes.dirs,
        acceptRegistered: config.jobTypes.acceptRegistered,
        maxHeapMb: config.jobTypes.maxHeapMb,
        env: this.access.jobEnv,
        killGraceMs: config.shell.killGraceMs,
        cacheDir: join(config.dataDir, 'type-cache'),
      },
      this.deps.logger.child({ mod: 'types' }),
      () => {
        if (!this.info) return;
        this.describeTypes(this.info);
        void store.publishTypes(this.info).catch(() => undefined); // the next heartbeat has it
      },
    );
    await this.loader.start();
  }

  private describeTypes(info: NodeInfo): void {
    info.types = this.types.names();
    info.loaded = this.types.describe();
  }

  /** The HTTP API and socket.io on one port; resolves with this node's registry entry. */
  private async serve(runId: string, metrics: AgentMetrics): Promise<NodeInfo> {
    const { config, store } = this.deps;
    const { access } = this;
    const version = packageVersion();
    this.api = this.deps.api({
      store,
      node: config.node,
      admission: this.admission,
      definitions: this.definitions,
      checkModule: (source, name) =>
        checkModule(source, name, { maxHeapMb: config.jobTypes.maxHeapMb, env: access.jobEnv }),
      acceptsRegistered: () => config.jobTypes.acceptRegistered,
      tokens: access.tokens,
      ...(access.jobTokens ? { jobTokens: access.jobTokens } : {}),
      hosts: access.hosts,
      bigReads: access.bigReads,
      ownTls: this.tls.server !== undefined,
      ...(this.tls.ca ? { peerCa: this.tls.ca } : {}),
      metrics: metrics.registry,
      logger: this.deps.logger.child({ mod: 'api' }),
      version,
      logs: this.logs,
      searchBudgetMs: config.logs.searchBudgetMs,
      archive: config.logs.archive,
    });
    this.server = this.tls.server
      ? createTlsServer(this.tls.server, this.api.handler)
      : createServer(this.api.handler);
    this.logServer = new LogServer(this.server, {
      store,
      logs: this.logs,
      node: config.node,
      tokens: access.tokens,
      ...(access.jobTokens ? { jobTokens: access.jobTokens } : {}),
      hosts: access.hosts,
      bigReads: access.bigReads,
      limits: config.limits,
      archive: config.logs.archive,
      tailHoldMs: config.logs.tail.holdMs,
      logger: this.deps.logger.child({ mod: 'logstream' }),
      tls: this.tls.server !== undefined,
      ...(this.tls.ca ? { peerCa: this.tls.ca } : {}),
    });
    this.server.listen(config.port, config.host);
    await once(this.server, 'listening');
    const port = (this.server.address() as AddressInfo).port;
    return {
      name: config.node,
      url:
        config.url ??
        `${this.tls.server ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
      runId,
      pid: process.pid,
      host: hostname(),
      dataDir: config.dataDir,
      concurrency: config.concurrency,
      version,
      types: this.types.names(),
      loaded: this.types.describe(),
      startedAt: Date.now(),
    };
  }

  /**
   * Replays the journal of a previous run, re-attaches the supervised jobs
   * it left running (within the TTL) or fences them (past it), then fails
   * what else it left RUNNING. The order matters: journalled jobs finished,
   * and re-attached ones run on; neither may be failed AGENT_RESTARTED.
   */
  private async endPreviousRun(
    runId: string,
    takesOver: string | null,
    ledger: ClaimLedger,
    log: Logger,
  ): Promise<{ reporter: Reporter; resumed: Resumed[] }> {
    const { config, store } = this.deps;
    const reporter = new Reporter(
      store,
      Journal.inDataDir(config.dataDir),
      this.deps.logger.child({ mod: 'reporter' }),
      ledger,
      () => this.claimer?.wake(),
    );
    this.reporter = reporter;
    await reporter.replay();
    const resumed = await this.reattach(runId, takesOver, log);
    const ended = await store.failRunning(
      config.node,
      runId,
      'AGENT_RESTARTED',
      `agent ${config.node} restarted while the job ran`,
      Date.now(),
    );
    if (ended > 0) log.warn({ ended }, 'failed the jobs a previous run left running');
    return { reporter, resumed };
  }

  /**
   * The supervised jobs a previous run left (SPEC §16). Taking over that
   * run within its heartbeat TTL, each job still RUNNING under its token is
   * handed to this run and followed on; every other (past the TTL the
   * reaper's NODE_LOST stands, or the job ended meanwhile) is fenced:
   * its supervisor stops its processes.
   */
  private async reattach(runId: string, takesOver: string | null, log: Logger) {
    const survivors = this.processes.survivors();
    if (survivors.length === 0) return [];
    // The job's token in Redis is the run this one takes over, whichever run claimed it: a
    // re-attach moves it to the new run, while its supervisor keeps the claimer's (issue 26:
    // comparing with that one fenced a job at its second restart within the TTL).
    const candidates = takesOver === null ? [] : survivors.filter((s) => s.start !== null);
    const claims = await this.deps.store.reattachJobs(
      this.deps.config.node,
      runId,
      candidates.map((s) => ({ root: s.start!.root, id: s.start!.id, token: takesOver! })),
    );
    const resumed: Resumed[] = [];
    claims.forEach((job, i) => {
      const survivor = candidates[i]!;
      if (job && survivor.start) {
        const supervised = this.processes.attach({ ...survivor, start: survivor.start });
        resumed.push({ job, supervised, kind: survivor.start.kind });
      }
    });
    const taken = new Set(resumed.map((r) => r.job.id));
    const fenced = survivors.filter((s) => !s.start || !taken.has(s.start.id));
    await Promise.all(fenced.map((s) => this.processes.fence(s)));
    if (resumed.length > 0) log.info({ jobs: resumed.length }, 're-attached to running jobs');
    const stopped = fenced.filter((s) => s.start && !s.exit).length;
    if (stopped > 0)
      log.warn({ jobs: stopped }, 'fenced jobs of a previous run that are over in Redis');
    return resumed;
  }

  private makeClaimer(
    info: NodeInfo,
    reporter: Reporter,
    ledger: ClaimLedger,
    metrics: AgentMetrics,
  ): Claimer {
    const { config, store } = this.deps;
    return new Claimer(
      store,
      {
        reporter,
        types: this.types,
        node: config.node,
        token: info.runId,
        logs: this.logs,
        processes: this.processes,
        serverUrl: info.url,
        env: this.access.jobEnv,
        jobToken: (job) => this.access.jobTokens?.mint(job.root, job.id, job.attempt) ?? '',
        logger: this.deps.logger.child({ mod: 'runner' }),
        addChildren: async (parentId, jobs) =>
          (await this.admission.graft(parentId, { jobs })).map((j) => j.id),
        takesWork: () => this.stopping === undefined && !this.draining,
        onFinished: (job, state, retryAt) => {
          this.logServer?.jobEnded(job.id); // its token's sessions end with the try (SPEC §18)
          if (retryAt !== undefined) {
            // the try goes again: claim it when it is due (other nodes and the housekeeper would too)
            setTimeout(() => this.claimer?.wake(), Math.max(0, retryAt - Date.now())).unref();
            metrics.finished.inc({ state: 'RETRIED', type: job.type });
            return;
          }
          this.emit('job:end', { id: job.id, root: job.root, parent: job.parent, state });
          metrics.finished.inc({ state, type: job.type });
          metrics.claimLatency.observe(
            { type: job.type },
            Math.max(0, job.startedAt - job.queuedAt) / 1000,
          );
        },
      },
      { concurrency: config.concurrency, batch: config.claim.batch, pollMs: config.claim.pollMs },
      this.deps.logger.child({ mod: 'claimer' }),
      ledger,
    );
  }

  /** Stops the node's running jobs whose tree was aborted (SPEC §4 rule 4). */
  private async drainSignals(claimer: Claimer): Promise<void> {
    // one pop at a time: an abort of a tree signals each of its running jobs at once
    if (this.popping) {
      this.popAgain = true;
      return this.popping;
    }
    this.popping = (async () => {
      do {
        this.popAgain = false;
        for (const s of await this.deps.store.popSignals(this.deps.config.node)) {
          claimer.stopJob(s.id, 'tree');
        }
      } while (this.popAgain);
    })().finally(() => (this.popping = undefined));
    return this.popping;
  }

  /**
   * Wakes for queued work, abort signals and registration changes (Pub/Sub:
   * the fast path; polls and heartbeats catch up).
   */
  private async listen(claimer: Claimer): Promise<void> {
    const { config, store } = this.deps;
    this.subscription = store.subscribeAgent(config.node, {
      wake: () => claimer.wake(),
      signal: () => void this.drainSignals(claimer).catch(() => undefined),
      typesChanged: () => this.loader?.checkRegistered(),
      // one agent starts waiting runs (each may: the run script makes each start once)
      definitionWake: (name) => {
        if (this.housekeeper?.holdsLease) this.dispatch(name);
      },
      drain: (draining) => this.setDraining(draining),
    });
    await this.subscription.ready;
  }

  /** The heartbeat (with its catch-up work) and the cluster housekeeping. */
  private startBackground(info: NodeInfo, claimer: Claimer, log: Logger): void {
    const { config, store } = this.deps;
    const afterBeat = async (beat: { draining: boolean }): Promise<void> => {
      this.setDraining(beat.draining); // in case the control message was lost
      this.loader?.checkRegistered();
      await this.drainSignals(claimer);
      await claimer.adoptOrphans();
    };
    this.heartbeat = new Heartbeat(
      store,
      info,
      config.heartbeat,
      () => claimer.size,
      afterBeat,
      log,
    );
    this.heartbeat.start();
    this.housekeeper = new Housekeeper(
      store,
      {
        holder: `${config.node}/${info.runId}`,
        intervalMs: config.heartbeat.intervalMs,
        ttlMs: config.heartbeat.ttlMs,
        retention: config.retention,
        dataDir: config.dataDir,
        whileHolding: () => this.definitions.dispatchAll(),
      },
      this.deps.logger.child({ mod: 'housekeeper' }),
    );
    this.housekeeper.start();
  }

  /**
   * Drain (SPEC §16): the node claims nothing, its running jobs finish, its
   * queued jobs wait (and `*` jobs go to other nodes); undrain claims again.
   */
  private setDraining(draining: boolean): void {
    if (draining === this.draining) return;
    this.draining = draining;
    this.deps.logger.info(
      { mod: 'agent' },
      draining ? 'draining: claiming nothing' : 'undrained: claiming again',
    );
    if (!draining) this.claimer?.wake();
  }

  private dispatch(name: string): void {
    void this.definitions
      .dispatch(name)
      .catch((err: unknown) => this.deps.logger.warn({ err, definition: name }, 'dispatch failed'));
  }

  /**
   * Takes what can change live from a new, validated config (SPEC §16
   * SIGHUP): concurrency, the job-type and definition directories, the
   * tokens. Answers the keys that differ but need a restart (the caller
   * applies the log level, which it owns).
   */
  async reload(next: Config): Promise<string[]> {
    const before = this.reloaded ?? this.deps.config;
    const log = this.deps.logger.child({ mod: 'agent' });
    if (next.concurrency !== before.concurrency) {
      this.claimer?.setConcurrency(next.concurrency);
      if (this.info) this.info.concurrency = next.concurrency;
      log.info({ concurrency: next.concurrency }, 'concurrency changed');
    }
    if (JSON.stringify(next.jobTypes.dirs) !== JSON.stringify(before.jobTypes.dirs)) {
      this.loader?.setDirs(next.jobTypes.dirs);
      log.info({ dirs: next.jobTypes.dirs }, 'job type directories changed');
    }
    this.access.reload(next);
    // SPEC §18: a session of a token no longer valid ends now
    const closed = this.logServer?.revalidate() ?? 0;
    if (closed > 0) log.info({ sockets: closed }, 'closed the sessions of tokens no longer valid');
    await applyDefinitionDirs(this.definitions, next.definitions.dirs, log);
    this.reloaded = next;
    return restartKeys(before, next);
  }

  /**
   * Aborts every running job at once (AGENT_SHUTDOWN), without waiting for
   * the grace period: the daemon's second SIGTERM, or SIGQUIT (SPEC §16).
   */
  abortRunning(): void {
    this.aborting = true;
    this.claimer?.pause();
    this.claimer?.stopAll('shutdown');
  }

  /** Stops claiming, lets running jobs finish for up to the grace period, aborts the rest, exits cleanly. */
  /** A stop asked while start() still waits for Redis: start() then rejects, having done nothing. */
  abortStart(): void {
    this.startWait.abort(new Error('stopped while waiting for Redis'));
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const { config, store } = this.deps;
    const log = this.deps.logger.child({ mod: 'agent' });
    log.info('agent stopping');
    this.claimer?.pause();
    // detach: the supervised jobs run on for the next agent (SPEC §16); the others drain
    const detached =
      config.shutdown.mode === 'detach' && !this.aborting ? this.processes.detachAll() : 0;
    if (detached > 0)
      log.info({ jobs: detached }, 'detached: these jobs run on under their supervisors');
    await this.claimer?.drain(config.shutdown.graceMs);
    this.processes.close();
    await this.loader?.stop();
    await this.logs.drain();
    await this.reporter?.close();
    await this.heartbeat?.stop();
    await this.housekeeper?.stop();
    await this.subscription?.close();
    await this.api?.close();
    await this.logServer?.close();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server?.close(() => resolve()));
    }
    // Detached jobs keep the name held until the TTL: the next agent within it re-attaches them.
    if (this.info && detached === 0)
      await store.unregisterNode(config.node, this.info.runId).catch(() => undefined);
    log.info('agent stopped');
  }
}
