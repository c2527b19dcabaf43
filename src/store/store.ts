/**
 * The Store interface: everything jobtree asks of its shared state. The
 * agent, the API and the CLI's server side depend on this, never on Redis;
 * ShardedStore, a router over RedisStore shards, is the one implementation.
 */
import type { CorruptRecord } from './corrupt-log.js';
import type { JobtreeError } from '../shared/errors.js';
import type {
  FoundJob,
  JobError,
  JobState,
  JobView,
  JsonObject,
  LoadedTypeInfo,
  NestedJob,
  NodeView,
  Outcome,
  PoolView,
  PausedEvent,
  PlannedJob,
  StatusEvent,
  TreeState,
  TreeSummary,
  TreeView,
} from '../shared/types.js';

/** What a claim hands the runner (one Lua call, no further reads). */
export interface ClaimedJob {
  id: string;
  root: string;
  parent: string | null;
  type: string;
  title: string;
  params: JsonObject;
  timeoutMs: number | null;
  /** SPEC §14: this try's number, of `tries` in all (1 of 1 without a retry policy). */
  attempt: number;
  tries: number;
  queuedAt: number;
  startedAt: number;
  tags: Record<string, string>;
  context: JsonObject;
  children: Array<{ id: string; key: string | null; result: unknown; summary: string | null }>;
  /** In a handler tree (SPEC §15): how the tree it handles ended. */
  outcome?: Outcome;
}

export interface FinishReport {
  root: string;
  id: string;
  token: string;
  outcome: 'SUCCESS' | 'FAILED' | 'ABORTED';
  at: number;
  result?: unknown;
  summary?: string;
  error?: JobError;
  context?: JsonObject;
  /** When set, a parent freed by this success that runs on this node is claimed at once. */
  claimFor?: string;
  /** The version of its job type the job ran (SPEC §11). */
  typeVersion?: string;
}

export interface FinishAnswer {
  state: JobState;
  /** The job claimed for the freed slot (see FinishReport.claimFor). */
  next: ClaimedJob | null;
  /** The error kept on the job: for a job stopped by an abort, the abort's cause. */
  error: JobError | null;
  /** The failed try goes again (state QUEUED, SPEC §14): its number and when it may start. */
  retry?: { attempt: number; tries: number; runAt: number };
}

export interface NewTree {
  root: string;
  title: string;
  node: string;
  tags: Record<string, string>;
  context: JsonObject;
  jobs: PlannedJob[];
  /** SPEC §15: the handler tree's root id and the onFailure jobs, children first. */
  handlers?: { root: string; onFailure: PlannedJob[] };
  at: number;
  /** Refuse the tree (503 BACKLOG_FULL) if a node queue would exceed this. */
  maxQueued?: number;
  /** 'reject': refuse it (503 NO_SLOTS) unless every leaf can start at once (SPEC §12). */
  admission?: 'wait' | 'reject';
  /** The tree is a definition's run (SPEC §13): counted, ordered and idempotent in the same script. */
  run?: RunLink;
}

export interface RunLink {
  definition: string;
  /** The inbox message this run starts; refused unless it is the inbox's head. */
  messageId?: string;
  /** The same key within 24 h answers the first run instead of starting another. */
  idempotencyKey?: string;
}

/** What submitTree did: stored the tree, or found the run an idempotency key started already. */
export interface Submitted {
  root: string;
  created: boolean;
}

/** One immutable version of a definition (SPEC §13). */
export interface DefinitionVersion {
  name: string;
  version: number;
  description?: string;
  params?: JsonObject;
  tags?: Record<string, string>;
  maxConcurrentRuns?: number;
  tree: JsonObject;
  createdAt: number;
  sha256: string;
}

export interface InboxMessage {
  id: string;
  params: JsonObject;
  /** The tags asked for by a run that was queued (`queue: true`). */
  tags?: Record<string, string>;
  postedAt: number;
}

/** A message whose run could not start, moved out of the inbox (SPEC §18). */
export interface FailedMessage {
  id: string;
  /** null when the stored message itself could not be read. */
  params: JsonObject | null;
  postedAt: number | null;
  failedAt: number;
  error: { code: string; message: string };
}

/** The head of an inbox as the dispatcher reads it: a message, or one whose record is corrupt. */
export type InboxHead = InboxMessage | { id: string; corrupt: string };

/** Definitions, their inboxes and the count of their running runs (SPEC §13). */
export interface DefinitionStore {
  put(
    name: string,
    content: Omit<DefinitionVersion, 'name' | 'version'>,
  ): Promise<{ version: number; created: boolean }>;
  /** The latest version, or version `version`; null when there is none. */
  get(name: string, version?: number): Promise<DefinitionVersion | null>;
  list(): Promise<DefinitionVersion[]>;
  versions(name: string): Promise<DefinitionVersion[]>;
  remove(name: string): Promise<void>;
  post(name: string, message: InboxMessage): Promise<number>;
  messages(name: string): Promise<InboxMessage[]>;
  withdraw(name: string, id: string): Promise<boolean>;
  /** Moves a waiting message into the failed ones with why; false when it no longer waits. */
  fail(
    name: string,
    id: string,
    error: { code: string; message: string },
    at: number,
  ): Promise<boolean>;
  /** The failed messages (the last 100), newest first. */
  failed(name: string): Promise<FailedMessage[]>;
  /** The oldest waiting message and how many runs run now, for the dispatcher. */
  head(name: string): Promise<{ message: InboxHead | null; running: number; max: number }>;
  /** The names of definitions with messages waiting. */
  withMessages(): Promise<string[]>;
}

export interface TreeQuery {
  tags: Array<[string, string]>;
  state?: TreeState;
  limit: number;
  cursor?: string;
}

/** What a merged tail asks of a tree (SPEC §19): its state, tags and handler tree's root. */
export interface TreeMeta {
  state: TreeState;
  tags: Record<string, string>;
  handlers: string | null;
}

export interface TreeEnd {
  state: TreeState;
  finishedAt: number | null;
}

export interface NodeInfo {
  name: string;
  url: string;
  runId: string;
  pid: number;
  host: string;
  dataDir: string;
  concurrency: number;
  version: string;
  /** The names of the types the node runs; updated in place as it loads and unloads them. */
  types: string[];
  /** What it has loaded of each type (version, schema) or failed to load. */
  loaded: Record<string, LoadedTypeInfo>;
  startedAt: number;
}

/** A version of a registered module type (SPEC §11). */
export interface TypeVersion {
  version: number;
  sha256: string;
  at: number;
  /** The params schema of the type as its module declared it. */
  paramsSchema: JsonObject;
}

export interface RegisteredType {
  name: string;
  latest: TypeVersion;
  /** The versions kept, oldest first. */
  versions: TypeVersion[];
}

/** Registered job types, cluster-wide (SPEC §11). */
export interface JobTypeStore {
  /** Stores a new version; `created` false when the latest has this source already. */
  register(
    name: string,
    source: string,
    meta: { sha256: string; at: number; paramsSchema: JsonObject },
  ): Promise<{ version: number; created: boolean }>;
  remove(name: string): Promise<void>;
  list(): Promise<RegisteredType[]>;
  /** The latest version's source, when `version` is still the latest. */
  source(name: string, version: number): Promise<string | null>;
  /** Rises with every change; nodes compare it to know when to look again. */
  revision(): Promise<number>;
}

/** Pools of slots shared by all nodes (SPEC §12). */
export interface PoolStore {
  set(name: string, slots: number, description: string | undefined): Promise<boolean>;
  remove(name: string): Promise<void>;
  list(): Promise<PoolView[]>;
  /** The slots of each named pool (undefined for one that does not exist). */
  slots(names: string[]): Promise<Map<string, number>>;
}

/** A graft as admission planned it (SPEC §3 growing a tree). */
export interface GraftPlan {
  root: string;
  target: string;
  jobs: PlannedJob[];
  /** The ids of the target's new direct children. */
  direct: string[];
  maxJobs: number;
  /** SPEC §15: a handler tree root id for the tree, kept unless it has one (new jobs with compensations). */
  handlersRoot?: string;
}

export interface Subscription {
  /** Resolves when the channels are subscribed. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** What an agent hears on its channels (Store.subscribeAgent). */
export interface AgentListener {
  /** Work was queued for this node, or for any node. */
  wake(): void;
  /** A running job of this node must stop (its tree aborted). */
  signal(): void;
  /** A registered job type changed. */
  typesChanged(): void;
  /** A definition's run ended, or a message was posted for it. */
  definitionWake(name: string): void;
  /** An operator asked the node to drain (true) or to take work again. */
  drain(draining: boolean): void;
}

/** What the claimer asks: jobs for its node, claims whose reply was lost, its
 * supervised jobs after a restart, and the abort signals for its jobs. */
export interface ClaimPort {
  /** Claims up to `max` jobs for `node`, from none of the parts in `skip`. */
  claimJobs(
    node: string,
    max: number,
    token: string,
    at: number,
    skip?: ReadonlySet<number>,
  ): Promise<ClaimedJob[]>;
  /** Jobs RUNNING under `token` on `node` that are not in `running` (claims whose reply was lost). */
  adoptClaims(node: string, token: string, running: string[]): Promise<ClaimedJob[]>;
  /**
   * Gives the new run `token` the jobs its previous run left RUNNING on
   * `node` under supervisors (SPEC §16); per job, its claim, or null when
   * it is no longer that run's (to be fenced).
   */
  reattachJobs(
    node: string,
    token: string,
    jobs: Array<{ root: string; id: string; token: string }>,
  ): Promise<Array<ClaimedJob | null>>;
  popSignals(node: string): Promise<Array<{ root: string; id: string }>>;
}

/** What the reporter asks: the ends of running jobs, and the part of the
 * store a tree lives in (ends of one part reach Redis in order). */
export interface EndPort {
  /**
   * The part of the store a tree lives in, as a number: ends of trees of one
   * part reach Redis in order, and a part whose ends wait in a node's
   * journal is not claimed from by that node (SPEC §9). One part on one
   * Redis; a Redis Cluster's shard.
   */
  partitionOf(root: string): number;
  finishJob(report: FinishReport): Promise<FinishAnswer>;
  /**
   * Every report answered: its end, or why it was refused. An end its part
   * of the store could not take (that part unavailable, the others not) is
   * answered UnavailableError; when no part answers, the call rejects.
   */
  finishJobs(reports: FinishReport[]): Promise<Array<FinishAnswer | JobtreeError>>;
}

/** What admission and the operators' routes write: new trees, grafts,
 * aborts and pauses. */
export interface TreeWritePort {
  /**
   * Where the ids of a new tree come from (SPEC §17): on Redis Cluster
   * every id of a tree names the shard the tree lives in. `near`: the
   * shard of that tree (a graft); `shared`: the shard of the cluster-wide
   * records (pools, definitions) the tree's scripts touch.
   */
  idSource(placement: { near?: string; shared?: boolean }): () => string;
  submitTree(tree: NewTree): Promise<Submitted>;
  /** Grafts a plan under its target, refused when the target has started meanwhile. */
  addChildren(plan: GraftPlan, at: number): Promise<void>;
  /** `handlers: false` skips the tree's failure handlers (SPEC §15). */
  abortJob(id: string, who: string, at: number, opts?: { handlers?: boolean }): Promise<void>;
  /**
   * Pauses (no job of the tree starts; running ones go on) or resumes a
   * running tree; false when it was in that state already.
   */
  setPaused(root: string, paused: boolean, at: number): Promise<boolean>;
}

/** Reads of trees and jobs (the API, the log server, retention). */
export interface ReadPort {
  findRoot(id: string): Promise<string | null>;
  getJob(id: string): Promise<JobView>;
  /**
   * The whole tree; a tree of more than 10,000 jobs, or one read with
   * `depth`, comes in pages (SPEC §17): jobs down to `depth`, each job's
   * children cut to `limit` with childCount, next and counts.
   */
  getTree(root: string, opts?: { depth?: number; limit?: number }): Promise<TreeView>;
  /** The page of `parent`'s children from `cursor` (SPEC §17); a bad cursor is a ValidationError. */
  getChildren(
    root: string,
    parent: string,
    cursor: string | undefined,
    limit?: number,
  ): Promise<{ jobs: NestedJob[]; next: string | null }>;
  /** Jobs whose title holds `text`, case-insensitive, at most `limit` (SPEC §17: searched by title). */
  searchTree(
    root: string,
    text: string,
    limit: number,
  ): Promise<{ jobs: FoundJob[]; more: boolean }>;
  treeState(root: string): Promise<{ state: TreeState; seq: number } | null>;
  /** A tree's state, tags and handler tree, without its jobs; null when there is none. */
  treeMeta(root: string): Promise<TreeMeta | null>;
  /** How many jobs the tree holds (for the graft limit). */
  treeTotal(root: string): Promise<number>;
  listTrees(query: TreeQuery): Promise<{ trees: TreeSummary[]; next: string | null }>;
  /** State and finish time of each tree (null for one that does not exist). */
  treeEnds(roots: string[]): Promise<Array<TreeEnd | null>>;
}

/** The node registry: registration, beats, drains, who is alive. */
export interface NodePort {
  registerNode(info: NodeInfo, ttlMs: number): Promise<{ draining: boolean }>;
  /** One beat; answers whether the node was asked to drain. */
  heartbeat(
    info: NodeInfo,
    stats: { running: number },
    ttlMs: number,
  ): Promise<{ draining: boolean }>;
  /** Asks a node to drain or to take work again; false for an unknown node. */
  setDrain(name: string, drain: boolean): Promise<boolean>;
  /** Writes the node's loaded types now, between heartbeats (SPEC §11: any node checks any submission). */
  publishTypes(info: NodeInfo): Promise<void>;
  nodeOwner(name: string): Promise<string | null>;
  unregisterNode(name: string, runId: string): Promise<void>;
  listNodes(now: number): Promise<NodeView[]>;
  liveNodes(now: number): Promise<NodeView[]>;
  queueDepth(node: string): Promise<number>;
}

/** The cluster's upkeep (the housekeeper): due retries, the steps of big
 * trees left by a dead caller, dead nodes, leases and retention. */
export interface UpkeepPort {
  /** Queues the retries whose runAt has come (SPEC §14); answers how many. */
  promoteDue(at: number): Promise<number>;
  /**
   * SPEC §17: goes on with the aborts of big trees left under way (a chunk
   * at a time) by a caller that died; answers how many trees it finished.
   */
  continueAborts(at: number): Promise<number>;
  /**
   * SPEC §17: finishes storing the committed big trees whose last step is
   * older than `idleMs` (their submitter died); answers how many.
   */
  continueStoring(at: number, idleMs: number): Promise<number>;
  failRunning(
    node: string,
    keepToken: string,
    code: string,
    message: string,
    at: number,
  ): Promise<number>;
  /**
   * NODE_LOST for every RUNNING job of `node`, only if it has no live
   * heartbeat key at that moment; null when it is alive after all.
   */
  reapNode(node: string, at: number): Promise<number | null>;
  /** Takes or extends a cluster-wide lease; true while `holder` has it. */
  holdLease(name: string, holder: string, ms: number): Promise<boolean>;
  /** Roots of trees that finished before `finishedBefore`, oldest first. */
  expiredTrees(finishedBefore: number, limit: number): Promise<string[]>;
  /** Deletes a finished tree with every key it made; jobs deleted, or null while it runs. */
  deleteTree(root: string): Promise<number | null>;
  /**
   * Forgets a node with no live heartbeat key, no beat since
   * `lastBeatBefore` and no QUEUED or RUNNING jobs; true when it was removed.
   */
  forgetNode(name: string, lastBeatBefore: number): Promise<boolean>;
}

/** Pub/Sub: an agent's channels, the status channel, any channel; and
 * the records skipped as unreadable (SPEC §18). */
export interface EventPort {
  subscribe(
    channels: string[],
    onMessage: (channel: string, message: string) => void,
  ): Subscription;
  /**
   * The channels an agent listens on: work queued for it (or for any node),
   * abort signals for its jobs, and changes of the registered types.
   */
  subscribeAgent(node: string, on: AgentListener): Subscription;
  /** The status channel; with `onPaused`, the paused channel on the same connection. */
  subscribeStatus(
    onEvent: (event: StatusEvent) => void,
    onPaused?: (event: PausedEvent) => void,
  ): Subscription;
  /** Who hears of the records the store skipped because they cannot be read (SPEC §18). */
  onCorrupt(listener: (record: CorruptRecord) => void): void;
}

/** The cluster-wide records: job types, pools, definitions. */
export interface RecordsPort {
  readonly jobTypes: JobTypeStore;
  readonly pools: PoolStore;
  readonly definitions: DefinitionStore;
}

/** Whether Redis answers, and since when. */
export interface HealthPort {
  ping(): Promise<void>;
  /** When the current connection to Redis became ready; null while down. */
  connectedSince(): number | null;
}

export interface ArchiveEntry {
  root: string;
  job: string;
  node: string;
  /** The log as stored: gzip, or a short one as it is (logstream/archive.ts). */
  data: Buffer | string;
}

export interface ArchivedLog {
  node: string;
  data: Buffer;
}

/** The archived logs (SPEC §19). */
export interface ArchivePort {
  /** Keeps the logs of ended jobs (those whose tree is gone are dropped); answers how many were kept. */
  archiveLogs(entries: ArchiveEntry[]): Promise<number>;
  /** A job's archived log, or null when none was kept. */
  readArchive(root: string, job: string): Promise<ArchivedLog | null>;
  /** Job id → node, of every log of the tree that was archived. */
  archivedJobs(root: string): Promise<Map<string, string>>;
}

/**
 * Everything jobtree asks of its shared state: every port, and what only
 * the composition root needs (the prefix, closing). Each consumer is given
 * only the ports it uses (docs/design.md, "Ports").
 */
export interface Store
  extends
    ClaimPort,
    EndPort,
    TreeWritePort,
    ReadPort,
    NodePort,
    UpkeepPort,
    EventPort,
    RecordsPort,
    HealthPort,
    ArchivePort {
  readonly prefix: string;
  close(): Promise<void>;
}
