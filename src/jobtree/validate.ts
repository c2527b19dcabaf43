/**
 * Validation of submitted trees and grafted children (SPEC §3): the schema,
 * then the rules a schema cannot say (limits, unique keys, params of known
 * types). Pure: every error is a ValidationError naming the first bad path.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ValidationError } from '../shared/errors.js';
import type { JobSpec, JsonObject, RetryPolicy, TreeSpec } from '../shared/types.js';
import { LIMITS } from './limits.js';
import { childrenSchema, jobSchema, treeSchema } from './schema.js';

/** Checks a job type's params; returns null when they are good. */
export type ParamsCheck = (params: JsonObject) => { message: string; path: string } | null;

/**
 * What validation needs to know of the cluster: the params check of each
 * job type on the node a job goes to, and the pools (SPEC §11, §12).
 */
export interface TypeCatalog {
  /**
   * The check of `type`'s params for a job assigned to `node` (`*` for any
   * node). undefined: no node that could run it knows the type. null:
   * known, without a params check.
   */
  paramsCheck(type: string, node: string): ParamsCheck | null | undefined;
  /** The slots of a pool; undefined when there is no such pool. */
  poolSlots(name: string): number | undefined;
}

const ajv = new Ajv({ allErrors: false, strict: true });
ajv.addSchema(jobSchema);
const checkTree = ajv.compile<TreeSpec>(treeSchema);
const checkChildren = ajv.compile<{ jobs: JobSpec[] }>(childrenSchema);

/** `/job/children/0/params` → `job.children[0].params` */
export function toDottedPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

/**
 * Names the field of an ajv error by its dotted path (the unknown, missing
 * or badly named property when there is one) and says what is wrong with
 * it. Shared by tree, params and config validation.
 */
export function describeAjvError(e: ErrorObject): { path: string; problem: string } {
  const base = toDottedPath(e.instancePath);
  const extra = e.params as Record<string, unknown>;
  const name =
    extra.additionalProperty ?? extra.missingProperty ?? e.propertyName ?? extra.propertyName;
  const path = name === undefined ? base : base === '' ? String(name) : `${base}.${String(name)}`;
  if (e.keyword === 'additionalProperties') return { path, problem: 'unknown field' };
  if (e.keyword === 'required') return { path, problem: 'is required' };
  if (name !== undefined) return { path, problem: 'bad key' };
  return { path, problem: e.message ?? 'is invalid' };
}

function firstError(errors: ErrorObject[] | null | undefined): ValidationError {
  const e = errors?.[0];
  if (!e) return new ValidationError('invalid body');
  const { path, problem } = describeAjvError(e);
  const detail = problem === 'bad key' ? 'bad key (want [a-z0-9_.-]{1,64})' : problem;
  return new ValidationError(`${path || 'body'}: ${detail}`, path || undefined);
}

/** Rejects values nested deeper than the limit before any recursive code sees them. */
export function assertNesting(value: unknown, max = LIMITS.maxNesting): void {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) throw new ValidationError(`body is nested deeper than ${max} levels`);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
}

interface Walk {
  count: number;
  /** In a graft: the tree's jobs before it, so the graft's own size is count - graftFrom. */
  graftFrom?: number;
}

function checkJobs(
  jobs: JobSpec[],
  path: string,
  depth: number,
  walk: Walk,
  types: TypeCatalog,
  node: string,
): void {
  const keys = new Set<string>();
  jobs.forEach((job, i) => {
    const at = `${path}[${i}]`;
    checkJob(job, at, depth, walk, types, node);
    if (job.key !== undefined) {
      if (keys.has(job.key))
        throw new ValidationError(`${at}.key: duplicate among siblings`, `${at}.key`);
      keys.add(job.key);
    }
  });
}

function checkPool(job: JobSpec, path: string, types: TypeCatalog): void {
  if (job.pool === undefined) {
    if (job.poolSlots !== undefined)
      throw new ValidationError(`${path}.poolSlots: needs a pool`, `${path}.poolSlots`);
    return;
  }
  const slots = types.poolSlots(job.pool);
  if (slots === undefined)
    throw new ValidationError(
      `${path}.pool: no pool "${job.pool}"`,
      `${path}.pool`,
      'UNKNOWN_POOL',
    );
  const want = job.poolSlots ?? 1;
  if (want > slots) {
    throw new ValidationError(
      `${path}.poolSlots: ${want} is more than the ${slots} slots of pool "${job.pool}"`,
      `${path}.poolSlots`,
    );
  }
}

/** What the schema cannot say of a retry policy (SPEC §14). */
export function checkRetry(retry: RetryPolicy | undefined, path: string): void {
  const b = retry?.backoff;
  if (b?.maxDelayMs !== undefined && b.maxDelayMs < b.delayMs)
    throw new ValidationError(
      `${path}.backoff.maxDelayMs: ${b.maxDelayMs} is less than delayMs ${b.delayMs}`,
      `${path}.backoff.maxDelayMs`,
    );
}

function checkJob(
  job: JobSpec,
  path: string,
  depth: number,
  walk: Walk,
  types: TypeCatalog,
  inherited: string,
): void {
  if (depth > LIMITS.maxDepth) {
    throw new ValidationError(`tree is deeper than ${LIMITS.maxDepth} levels`, path);
  }
  walk.count += 1;
  if (walk.count > LIMITS.maxJobs) {
    throw new ValidationError(`a tree holds at most ${LIMITS.maxJobs} jobs`, path);
  }
  if (walk.graftFrom !== undefined && walk.count - walk.graftFrom > LIMITS.maxGraftJobs) {
    throw new ValidationError(
      `a graft holds at most ${LIMITS.maxGraftJobs} jobs; graft the rest in further requests`,
      path,
    );
  }
  const params = job.params ?? {};
  const node = job.node ?? inherited;
  checkTypeAndParams(job.type, params, node, path, types);
  checkPool(job, path, types);
  checkRetry(job.retry, `${path}.retry`);
  if (job.compensate) {
    const c = job.compensate;
    checkTypeAndParams(c.type, c.params ?? {}, node, `${path}.compensate`, types);
  }
  if (job.children) checkJobs(job.children, `${path}.children`, depth + 1, walk, types, node);
}

/** `type` is known on `node` and `params` pass its check (SPEC §11). */
function checkTypeAndParams(
  type: string,
  params: JsonObject,
  node: string,
  path: string,
  types: TypeCatalog,
): void {
  if (Buffer.byteLength(JSON.stringify(params)) > LIMITS.maxParamsBytes) {
    throw new ValidationError(`${path}.params: larger than 64 KiB`, `${path}.params`);
  }
  const check = types.paramsCheck(type, node);
  if (check === undefined) {
    const where = node === '*' ? 'any live node' : `node ${node}`;
    throw new ValidationError(
      `${path}.type: unknown job type "${type}" (not on ${where})`,
      `${path}.type`,
      'UNKNOWN_TYPE',
    );
  }
  const bad = check?.(params);
  if (bad) {
    const at = bad.path ? `${path}.params.${bad.path}` : `${path}.params`;
    throw new ValidationError(`${at}: ${bad.message}`, at);
  }
}

/**
 * SPEC §15: an onFailure subtree runs on any live node unless it names one,
 * and holds no pool slots (a handler must not wait behind the work whose
 * failure it handles) and no compensations of its own.
 */
function checkOnFailure(job: JobSpec, walk: Walk, types: TypeCatalog): void {
  checkJob(job, 'onFailure', 2, walk, types, '*');
  const stack: Array<[JobSpec, string]> = [[job, 'onFailure']];
  while (stack.length > 0) {
    const [j, at] = stack.pop() as [JobSpec, string];
    if (j.pool !== undefined)
      throw new ValidationError(`${at}.pool: a failure handler holds no pool`, `${at}.pool`);
    if (j.compensate !== undefined)
      throw new ValidationError(
        `${at}.compensate: a failure handler has no compensation`,
        `${at}.compensate`,
      );
    j.children?.forEach((c, i) => stack.push([c, `${at}.children[${i}]`]));
  }
}

function run<T>(check: ValidateFunction<T>, body: unknown): T {
  assertNesting(body);
  if (!check(body)) throw firstError(check.errors);
  return body;
}

/**
 * Validates a whole submission (SPEC §3). Throws a ValidationError naming
 * the first bad field; returns the body typed when it is good.
 */
export function validateTreeSpec(
  body: unknown,
  types: TypeCatalog,
  acceptingNode: string,
): TreeSpec {
  const spec = run(checkTree, body);
  checkRetry(spec.defaults?.retry, 'defaults.retry');
  const walk = { count: 0 };
  checkJob(spec.job, 'job', 1, walk, types, acceptingNode);
  if (spec.onFailure) checkOnFailure(spec.onFailure, walk, types);
  return spec;
}

/**
 * Validates `{jobs:[...]}` grafted under a job at `depth`, assigned to
 * `node`, in a tree that already holds `existingJobs` jobs.
 */
export function validateChildren(
  body: unknown,
  types: TypeCatalog,
  target: { existingJobs: number; depth: number; node: string },
): JobSpec[] {
  const spec = run(checkChildren, body);
  checkJobs(
    spec.jobs,
    'jobs',
    target.depth + 1,
    { count: target.existingJobs, graftFrom: target.existingJobs },
    types,
    target.node,
  );
  return spec.jobs;
}
