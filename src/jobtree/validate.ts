/**
 * Validation of submitted trees and grafted children (SPEC §3): the schema,
 * then the rules a schema cannot say (limits, unique keys, params of known
 * types). Pure: every error is a ValidationError naming the first bad path.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ValidationError } from '../shared/errors.js';
import type { JobSpec, JsonObject, TreeSpec } from '../shared/types.js';
import { LIMITS } from './limits.js';
import { childrenSchema, jobSchema, treeSchema } from './schema.js';

/** Checks a job type's params; returns null when they are good. */
export type ParamsCheck = (params: JsonObject) => { message: string; path: string } | null;

/** What validation needs to know of job types: their params checks, by name. */
export interface TypeCatalog {
  /** undefined: the type is unknown everywhere. null: known, without a local params check. */
  paramsCheck(type: string): ParamsCheck | null | undefined;
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
}

function checkJobs(
  jobs: JobSpec[],
  path: string,
  depth: number,
  walk: Walk,
  types: TypeCatalog,
): void {
  const keys = new Set<string>();
  jobs.forEach((job, i) => {
    const at = `${path}[${i}]`;
    checkJob(job, at, depth, walk, types);
    if (job.key !== undefined) {
      if (keys.has(job.key))
        throw new ValidationError(`${at}.key: duplicate among siblings`, `${at}.key`);
      keys.add(job.key);
    }
  });
}

function checkJob(job: JobSpec, path: string, depth: number, walk: Walk, types: TypeCatalog): void {
  if (depth > LIMITS.maxDepth) {
    throw new ValidationError(`tree is deeper than ${LIMITS.maxDepth} levels`, path);
  }
  walk.count += 1;
  if (walk.count > LIMITS.maxJobs) {
    throw new ValidationError(`a tree holds at most ${LIMITS.maxJobs} jobs`, path);
  }
  const params = job.params ?? {};
  if (Buffer.byteLength(JSON.stringify(params)) > LIMITS.maxParamsBytes) {
    throw new ValidationError(`${path}.params: larger than 64 KiB`, `${path}.params`);
  }
  const check = types.paramsCheck(job.type);
  if (check === undefined) {
    throw new ValidationError(`${path}.type: unknown job type "${job.type}"`, `${path}.type`);
  }
  const bad = check?.(params);
  if (bad) {
    const at = bad.path ? `${path}.params.${bad.path}` : `${path}.params`;
    throw new ValidationError(`${at}: ${bad.message}`, at);
  }
  if (job.children) checkJobs(job.children, `${path}.children`, depth + 1, walk, types);
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
export function validateTreeSpec(body: unknown, types: TypeCatalog): TreeSpec {
  const spec = run(checkTree, body);
  checkJob(spec.job, 'job', 1, { count: 0 }, types);
  return spec;
}

/**
 * Validates `{jobs:[...]}` grafted under a job at `depth` in a tree that
 * already holds `existingJobs` jobs.
 */
export function validateChildren(
  body: unknown,
  types: TypeCatalog,
  existingJobs: number,
  depth: number,
): JobSpec[] {
  const spec = run(checkChildren, body);
  checkJobs(spec.jobs, 'jobs', depth + 1, { count: existingJobs }, types);
  return spec.jobs;
}
