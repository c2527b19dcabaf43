/**
 * RedisStore: one shard of the store, all of it on plain Redis or behind
 * Sentinels, one of CLUSTER_SHARDS on a Redis Cluster. Only the router
 * (ShardedStore, the one implementation of the Store's ports) uses it.
 * Multi-key changes are the Lua scripts of ./scripts; reads are pipelined;
 * Pub/Sub gets connections of its own. It never decides a tree rule itself.
 */
import { JobtreeError, NotFoundError, StoreRejectedError } from '../shared/errors.js';
import { isJobId } from '../shared/ids.js';
import type { JobError } from '../shared/types.js';
import { CorruptRecordError, decodeClaim, encodeContext, encodePlanned } from './codec.js';
import { Keys } from './keys.js';
import type { RedisPlace } from './redis-target.js';
import { guard, isRefusal, SCRIPT_DONE, scriptError } from './redis-errors.js';
import { RedisDefinitionStore } from './definition-store.js';
import { RedisJobTypeStore } from './job-type-store.js';
import { NodeRegistry } from './node-registry.js';
import { RedisPoolStore } from './pool-store.js';
import { PubSub } from './pubsub.js';
import { ShardReads } from './shard-reads.js';
import { STAGE_ABOVE, finishStoring, submissionStats, submitStaged } from './staged-submit.js';
import type { ScriptClient, StoreParts } from './script-client.js';
import type {
  ClaimedJob,
  FinishAnswer,
  FinishReport,
  GraftPlan,
  NewTree,
  RunLink,
  Submitted,
  Subscription,
} from './store.js';
import { LogArchiveShard } from './log-archive-store.js';
import { execReads } from './slot-guard.js';
import type { CorruptLog } from './corrupt-log.js';

/** A child's result for a job about to run; unreadable, the job is failed, never run on a guess. */
function childResult(root: string, id: string, child: string, text: string | null | undefined) {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CorruptRecordError(root, id, `the result of its child ${child} is not JSON`);
  }
}

/** How long an idempotency key names its run (SPEC §13). */
const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

export class RedisStore {
  readonly prefix: string;
  readonly jobTypes: RedisJobTypeStore;
  readonly pools: RedisPoolStore;
  readonly definitions: RedisDefinitionStore;
  /** The node registry: its keys in this shard (the router asks the home shard's). */
  readonly nodes: NodeRegistry;
  /** The reads of trees and jobs in this shard. */
  readonly reads: ShardReads;
  /** The archived logs of this shard's trees (SPEC §19). */
  readonly archive: LogArchiveShard;
  private readonly pubsub: PubSub;
  private readonly redis: ScriptClient;
  private readonly keys: Keys;
  private readySince: number | null = null;

  /**
   * `client`: the script client the router's shards share, with one log
   * of corrupt records.
   */
  constructor(
    place: RedisPlace,
    prefix: string,
    client: ScriptClient,
    readonly corrupt: CorruptLog,
  ) {
    const redis = client;
    const keys = new Keys(prefix);
    this.keys = keys;
    this.nodes = new NodeRegistry(redis, keys, corrupt);
    this.reads = new ShardReads({ redis, keys, prefix });
    this.archive = new LogArchiveShard(redis, keys);
    this.redis = redis;
    this.prefix = prefix;
    this.jobTypes = new RedisJobTypeStore(redis, keys);
    this.pools = new RedisPoolStore(redis, keys);
    this.definitions = new RedisDefinitionStore(redis, keys);
    this.pubsub = new PubSub(place);
    redis.on('ready', () => (this.readySince = Date.now()));
    redis.on('close', () => (this.readySince = null));
  }

  async ping(): Promise<void> {
    await guard(this.redis.ping());
  }

  async submitTree(t: NewTree): Promise<Submitted> {
    if (t.jobs.length > STAGE_ABOVE) {
      const code = await submitStaged(
        this.parts,
        t,
        this.treeArg(t),
        t.run && this.encodeRun(t.run),
      );
      return this.submitted('commitTree', code, t.root);
    }
    const tree = this.treeArg(t);
    const code = await guard(
      this.redis.submitTree(
        this.keys.tree(t.root),
        this.prefix,
        t.root,
        t.at,
        JSON.stringify(tree),
        JSON.stringify(t.jobs.map(encodePlanned)),
        t.maxQueued ?? 0,
        t.admission ?? '',
        t.run ? JSON.stringify(this.encodeRun(t.run)) : '',
        JSON.stringify(submissionStats(t.jobs)),
      ),
    );
    return this.submitted('submitTree', code, t.root);
  }

  /** What the helper modules (staged-submit, tree-pages) need of this store. */
  private get parts(): StoreParts {
    return { redis: this.redis, keys: this.keys, prefix: this.prefix };
  }

  private submitted(script: string, code: number | [number, string], root: string): Submitted {
    if (Array.isArray(code)) {
      // an idempotency key names the run it started already: that run is the answer
      if (code[0] === SCRIPT_DONE.existingRun) return { root: code[1], created: false };
      throw scriptError(script, code[0], code[1]);
    }
    if (code !== SCRIPT_DONE.ok) throw scriptError(script, code, root);
    return { root, created: true };
  }

  async continueStoring(at: number, idleMs: number): Promise<number> {
    const roots = await guard(
      this.redis.zrangebyscore(this.keys.storing(), '-inf', at - idleMs, 'LIMIT', 0, 10),
    );
    for (const root of roots) await finishStoring(this.parts, root, at);
    return roots.length;
  }

  private treeArg(t: NewTree): Record<string, unknown> {
    return {
      title: t.title,
      node: t.node,
      tags: JSON.stringify(t.tags),
      context: encodeContext(t.context),
      ...(t.handlers
        ? {
            handlers: t.handlers.root,
            ...(t.handlers.onFailure.length > 0
              ? { onFailure: JSON.stringify(t.handlers.onFailure.map(encodePlanned)) }
              : {}),
          }
        : {}),
    };
  }

  private encodeRun(run: RunLink): Record<string, string | number> {
    return {
      def: run.definition,
      message: run.messageId ?? '',
      idem: run.idempotencyKey ? this.keys.idempotency(run.definition, run.idempotencyKey) : '',
      idemTtlMs: IDEMPOTENCY_TTL_MS,
    };
  }

  async claimJobs(
    node: string,
    max: number,
    token: string,
    at: number,
    skip?: ReadonlySet<number>,
  ): Promise<ClaimedJob[]> {
    if (skip?.has(0)) return [];
    const payloads = await guard(
      this.redis.claimJobs(
        this.keys.queue(node),
        this.keys.queue('*'),
        this.prefix,
        node,
        max,
        at,
        token,
      ),
    );
    return (await this.claims(payloads, token)).filter((j) => j !== null);
  }

  /**
   * Decodes claim payloads ('' for none). SPEC §18: a job whose record
   * cannot be read is failed here, CORRUPT_RECORD, and answered null; the
   * others of the batch run as ever (before, one such job dropped the
   * whole batch and stayed RUNNING for good).
   */
  private async claims(payloads: string[], token: string): Promise<Array<ClaimedJob | null>> {
    const answers = await Promise.allSettled(
      payloads.map((p) => (p === '' ? null : this.claim(p))),
    );
    const corrupt: CorruptRecordError[] = [];
    const out = answers.map((s) => {
      if (s.status === 'fulfilled') return s.value;
      if (!(s.reason instanceof CorruptRecordError)) throw s.reason;
      corrupt.push(s.reason);
      return null;
    });
    if (corrupt.length > 0) await this.failCorrupt(corrupt, token);
    return out;
  }

  /** Ends claimed jobs whose records cannot be read FAILED with CORRUPT_RECORD. */
  private async failCorrupt(jobs: CorruptRecordError[], token: string): Promise<void> {
    const at = Date.now();
    for (const j of jobs)
      this.corrupt.report({
        what: 'job record',
        key: this.keys.job(j.root, j.id),
        problem: j.message,
      });
    const answers = await this.finishJobs(
      jobs.map((j) => ({
        root: j.root,
        id: j.id,
        token,
        outcome: 'FAILED' as const,
        at,
        error: { code: 'CORRUPT_RECORD', message: j.message },
      })),
    ).catch((err: unknown) => jobs.map(() => err));
    answers.forEach((a, i) => {
      if (a instanceof Error)
        this.corrupt.report({
          what: 'job record',
          key: this.keys.job(jobs[i]!.root, jobs[i]!.id),
          problem: `could not be failed: ${a.message}`,
        });
    });
  }

  /**
   * Decodes a claim payload; a job whose children came as ids only (more
   * than the script reads, SPEC §17) gets their keys, results and
   * summaries here, 1,000 a pipeline.
   */
  private async claim(payload: string): Promise<ClaimedJob> {
    const { childIds, ...job } = decodeClaim(payload);
    if (childIds === undefined) return job;
    for (let i = 0; i < childIds.length; i += 1000) {
      const ids = childIds.slice(i, i + 1000);
      const rows = await execReads(this.redis, this.keys.trees(), (pipe) => {
        for (const id of ids) pipe.hmget(this.keys.job(job.root, id), 'key', 'result', 'summary');
      });
      rows.forEach(([, r], k) => {
        const [key, result, summary] = r as Array<string | null>;
        job.children.push({
          id: ids[k] as string,
          key: key ?? null,
          result: childResult(job.root, job.id, ids[k] as string, result),
          summary: summary ?? null,
        });
      });
    }
    return job;
  }

  async adoptClaims(node: string, token: string, running: string[]): Promise<ClaimedJob[]> {
    const payloads = await guard(
      this.redis.adoptClaims(this.keys.running(node), this.prefix, token, ...running),
    );
    return (await this.claims(payloads, token)).filter((j) => j !== null);
  }

  async reattachJobs(
    node: string,
    token: string,
    jobs: Array<{ root: string; id: string; token: string }>,
  ): Promise<Array<ClaimedJob | null>> {
    if (jobs.length === 0) return [];
    const triples = jobs.flatMap((j) => [j.root, j.id, j.token]);
    const payloads = await guard(
      this.redis.reattachJobs(this.keys.running(node), this.prefix, node, token, ...triples),
    );
    return this.claims(payloads, token);
  }

  async promoteDue(at: number): Promise<number> {
    return guard(this.redis.promoteDue(this.keys.delayed(), this.prefix, at));
  }

  /** Runs a big tree's abort to its end, one chunk per script (SPEC §17). */
  private async continueAbort(root: string, at: number): Promise<void> {
    const tree = this.keys.tree(root);
    while (
      (await guard(this.redis.abortMore(tree, this.prefix, root, at))) === SCRIPT_DONE.moreLeft
    );
  }

  async continueAborts(at: number): Promise<number> {
    const roots = await guard(this.redis.zrange(this.keys.aborting(), 0, 99));
    for (const root of roots) {
      try {
        await this.continueAbort(root, at);
      } catch (err) {
        // one tree Redis refuses to go on with must not hold the others' aborts (SPEC §18)
        if (!(err instanceof StoreRejectedError)) throw err;
        this.corrupt.report({
          what: 'aborting tree',
          key: this.keys.tree(root),
          problem: err.message,
        });
      }
    }
    return roots.length;
  }

  async finishJob(r: FinishReport): Promise<FinishAnswer> {
    const [answer] = await this.finishJobs([r]);
    if (answer instanceof JobtreeError) throw answer;
    return answer as FinishAnswer;
  }

  /** Reports many ends in one script call; each answer, or the error refusing that report. */
  async finishJobs(reports: FinishReport[]): Promise<Array<FinishAnswer | JobtreeError>> {
    const argv = reports.flatMap((r) => [
      r.root,
      r.id,
      r.token,
      r.outcome,
      r.at,
      r.result === undefined ? '' : JSON.stringify(r.result),
      r.summary ?? '',
      r.error ? JSON.stringify(r.error) : '',
      r.context ? JSON.stringify(encodeContext(r.context)) : '',
      r.claimFor ?? '',
      r.typeVersion ?? '',
    ]);
    const flat = await guard(this.redis.finishJobs(this.keys.trees(), this.prefix, ...argv));
    // trees a failure left aborting in chunks: their abort ends before the answer
    for (const root of flat.slice(reports.length * 4)) {
      await this.continueAbort(String(root), Math.max(...reports.map((r) => r.at)));
    }
    const nexts = await Promise.all(
      reports.map((_, i) => {
        const payload = flat[i * 4 + 2];
        return typeof payload === 'string' && payload !== '' ? this.claim(payload) : null;
      }),
    );
    return reports.map((r, i) => {
      // [code, state, claim payload (decoded above), error] per report
      const [code, state, , error] = flat.slice(i * 4, i * 4 + 4) as [
        number,
        string,
        unknown,
        string,
      ];
      if (code === SCRIPT_DONE.retried)
        return {
          state: 'QUEUED',
          next: nexts[i] ?? null,
          error: r.error ?? null,
          retry: JSON.parse(error) as NonNullable<FinishAnswer['retry']>,
        };
      if (code !== SCRIPT_DONE.ok) return scriptError('finishJob', code, r.id);
      return {
        state: state as FinishAnswer['state'],
        next: nexts[i] ?? null,
        error: error ? (JSON.parse(error) as JobError) : null,
      };
    });
  }

  async abortJob(
    id: string,
    who: string,
    at: number,
    opts: { handlers?: boolean } = {},
  ): Promise<void> {
    const root = await this.reads.requireRoot(id);
    const code = await guard(
      this.redis.abortJob(
        this.keys.job(root, id),
        this.keys.tree(root),
        this.prefix,
        root,
        id,
        at,
        who,
        opts.handlers === false ? '1' : '',
      ),
    );
    if (code === SCRIPT_DONE.abortInChunks) await this.continueAbort(root, at);
    else if (code !== SCRIPT_DONE.ok) throw scriptError('abortJob', code, id);
  }

  async setPaused(root: string, paused: boolean, at: number): Promise<boolean> {
    if (!isJobId(root)) throw new NotFoundError(`no tree ${root}`);
    const tree = this.keys.tree(root);
    const code = await guard(
      paused
        ? this.redis.pauseTree(tree, this.prefix, root, at)
        : this.redis.resumeTree(tree, this.prefix, root, at),
    );
    if (isRefusal(code)) throw scriptError(paused ? 'pauseTree' : 'resumeTree', code, root);
    return code === SCRIPT_DONE.ok;
  }

  async addChildren(plan: GraftPlan, at: number): Promise<void> {
    const code = await guard(
      this.redis.addChildren(
        this.keys.job(plan.root, plan.target),
        this.keys.tree(plan.root),
        this.prefix,
        plan.root,
        plan.target,
        at,
        JSON.stringify(plan.jobs.map(encodePlanned)),
        JSON.stringify(plan.direct),
        plan.maxJobs,
        plan.handlersRoot ?? '',
      ),
    );
    if (Array.isArray(code)) throw scriptError('addChildren', code[0], code[1]);
    if (code !== SCRIPT_DONE.ok) throw scriptError('addChildren', code, plan.target);
  }

  async treeTotal(root: string): Promise<number> {
    return Number((await guard(this.redis.hget(this.keys.tree(root), 'total'))) ?? 0);
  }

  async failRunning(
    node: string,
    keepToken: string,
    code: string,
    message: string,
    at: number,
  ): Promise<number> {
    return this.failRunningOf(node, keepToken, code, message, at, '');
  }

  async reapNode(node: string, at: number): Promise<number | null> {
    const n = await this.failRunningOf(
      node,
      '',
      'NODE_LOST',
      `node ${node} stopped heartbeating while the job ran`,
      at,
      '1',
    );
    return isRefusal(n) ? null : n; // refused: the node is alive after all
  }

  private failRunningOf(
    node: string,
    keepToken: string,
    code: string,
    message: string,
    at: number,
    onlyIfDead: '' | '1',
  ): Promise<number> {
    return guard(
      this.redis.failRunning(
        this.keys.running(node),
        this.keys.alive(node),
        this.prefix,
        node,
        keepToken,
        at,
        code,
        message,
        onlyIfDead,
      ),
    );
  }

  async holdLease(name: string, holder: string, ms: number): Promise<boolean> {
    const code = await guard(this.redis.holdLease(this.keys.lease(name), holder, ms));
    return code === SCRIPT_DONE.ok;
  }

  async expiredTrees(finishedBefore: number, limit: number): Promise<string[]> {
    return guard(
      this.redis.zrangebyscore(this.keys.finished(), '-inf', finishedBefore, 'LIMIT', 0, limit),
    );
  }

  /** Deletes a finished tree, then its handler tree, a chunk a script (SPEC §9, §15, §17). */
  async deleteTree(root: string): Promise<number | null> {
    if (!isJobId(root)) return 0;
    let deleted = 0;
    let tree: string | null = root;
    while (tree !== null) {
      const answer: [number, number, string] = await guard(
        this.redis.deleteTree(this.keys.tree(tree), this.prefix, tree),
      );
      const [code, n, next] = answer;
      if (isRefusal(code)) return null; // still running
      deleted += n;
      if (code === SCRIPT_DONE.ok) tree = next === '' ? null : next;
    }
    return deleted;
  }

  connectedSince(): number | null {
    return this.readySince;
  }

  async popSignals(node: string): Promise<Array<{ root: string; id: string }>> {
    const items = (await guard(this.redis.lpop(this.keys.signals(node), 1000))) ?? [];
    return items.map((item) => {
      const [root = '', id = ''] = item.split('|');
      return { root, id };
    });
  }

  subscribe(
    channels: string[],
    onMessage: (channel: string, message: string) => void,
  ): Subscription {
    return this.pubsub.subscribe(channels, onMessage);
  }
}
