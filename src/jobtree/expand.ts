/**
 * Expansion of a definition's tree with parameters (SPEC §13): typed
 * whole-string placeholders `"${params.a.b}"`, placeholders inside longer
 * strings (replaced by their text), `{"$each": "params.hosts", "as": "h",
 * "job": {...}}` for one copy of a job per element (nested allowed), and
 * `$${` for a literal `${`. Pure: errors are ValidationErrors naming the
 * path in the definition; `origin` maps each expanded job back to it.
 * SPEC §18: inside a shell job's `command` (a job's or a compensation's)
 * a placeholder goes in shell-quoted, unless written `${raw:…}`; and the
 * expansion counts what it makes, stopping at the limits of a submission
 * (400 TOO_LARGE naming where), so no request makes it work without end.
 */
import { ValidationError } from '../shared/errors.js';
import type { JsonObject } from '../shared/types.js';
import { LIMITS } from './limits.js';

/** `${ref}` or `${raw:ref}`, where ref is `params.a.b` or a loop variable `h` / `h.field`. */
const PLACEHOLDER = /\$\{(raw:)?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\}/g;
const WHOLE = /^\$\{(raw:)?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*)\}$/;
const ESCAPE = '$${';
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** What a placeholder refers to, as the PUT-time check sees it. */
export interface Reference {
  /** `params.a.b` → ['a', 'b']; a loop variable's reference has its own root. */
  path: string[];
  /** Where in the definition it stands. */
  at: string;
  /** True when it is an `$each` list (it must be an array). */
  isList: boolean;
}

interface Scope {
  params: unknown;
  vars: Map<string, unknown>;
}

export interface Expanded {
  tree: JsonObject;
  /** Expanded job path (`job.children[3]`) → its path in the definition (`tree.job.children[1].job`). */
  origin: Map<string, string>;
}

function lookup(ref: string, scope: Scope, at: string): unknown {
  const [head = '', ...rest] = ref.split('.');
  let value: unknown;
  if (head === 'params') value = scope.params;
  else if (scope.vars.has(head)) value = scope.vars.get(head);
  else
    throw new ValidationError(
      `${at}: \${${ref}} names nothing (want params.… or an $each "as")`,
      at,
    );
  for (const part of rest) {
    if (value === null || typeof value !== 'object' || !(part in (value as object))) {
      throw new ValidationError(`${at}: \${${ref}} is not set`, at);
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** POSIX single quotes: the text is one word to `/bin/sh`, whatever it holds. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * A string with its placeholders filled. In a shell command (`quote`),
 * each goes in as one shell word unless written `${raw:…}` (SPEC §18).
 */
function expandString(s: string, scope: Scope, at: string, quote = false): unknown {
  const whole = WHOLE.exec(s);
  if (whole) {
    const value = lookup(whole[2] as string, scope, at);
    return quote && !whole[1] ? shellQuote(textOf(value)) : value;
  }
  const fill = (_m: string, raw: string | undefined, ref: string): string => {
    const text = textOf(lookup(ref, scope, at));
    return quote && !raw ? shellQuote(text) : text;
  };
  // split on the escape first, so that `$${x}` stays the text `${x}`
  return s
    .split(ESCAPE)
    .map((part) => part.replace(PLACEHOLDER, fill))
    .join('${');
}

/** True for a job or a compensation whose type is `shell`, as written or once filled. */
function isShell(v: Record<string, unknown>, scope: Scope, at: string): boolean {
  return typeof v.type === 'string' && expandString(v.type, scope, `${at}.type`) === 'shell';
}

/** The size of a placeholder's typed value as JSON (it was checked against 64 KiB of params). */
function jsonSize(value: unknown): number {
  return value === undefined ? 0 : (JSON.stringify(value)?.length ?? 0);
}

function isEach(v: unknown): v is { $each: unknown; as?: unknown; job?: unknown } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && '$each' in v;
}

function checkEach(
  e: { $each: unknown; as?: unknown; job?: unknown },
  at: string,
): [string, string] {
  const extra = Object.keys(e).find((k) => !['$each', 'as', 'job'].includes(k));
  if (extra) throw new ValidationError(`${at}.${extra}: unknown field of $each`, `${at}.${extra}`);
  if (typeof e.$each !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)*$/.test(e.$each))
    throw new ValidationError(`${at}.$each: want "params.name" (a list)`, `${at}.$each`);
  if (typeof e.as !== 'string' || !VAR_NAME.test(e.as) || e.as === 'params')
    throw new ValidationError(`${at}.as: want a variable name such as "h"`, `${at}.as`);
  if (!e.job || typeof e.job !== 'object' || Array.isArray(e.job))
    throw new ValidationError(`${at}.job: want the job to repeat`, `${at}.job`);
  return [e.$each, e.as];
}

/** What an expansion may make: a submission's limits (SPEC §3), counted as it goes. */
class Budget {
  private jobs = 0;
  private bytes = 0;

  /** One more job, made where `at` (the `$each` or job) says. */
  job(at: string): void {
    if (++this.jobs > LIMITS.maxJobs)
      throw new ValidationError(
        `${at}: the expanded tree would hold more than ${LIMITS.maxJobs} jobs`,
        at,
        'TOO_LARGE',
      );
  }

  /** About `n` bytes more of the expanded tree as JSON. */
  grow(n: number, at: string): void {
    this.bytes += n;
    if (this.bytes > LIMITS.maxBodyBytes)
      throw new ValidationError(
        `${at}: the expanded tree would be larger than a submission may be (${LIMITS.maxBodyBytes} bytes)`,
        at,
        'TOO_LARGE',
      );
  }
}

/**
 * Counts the jobs an expansion would make, without making them: a tree
 * too large is refused for the price of walking its templates and list
 * lengths, not of building 100,000 jobs first. Throws TOO_LARGE where the
 * count passes the limit. What is no job or list is left to the expansion
 * to refuse, with its own message.
 */
function countJobs(job: unknown, scope: Scope, at: string, budget: Budget): void {
  budget.job(at);
  const children = (job as { children?: unknown }).children;
  if (!Array.isArray(children)) return;
  children.forEach((c, i) => {
    const here = `${at}.children[${i}]`;
    if (!isEach(c)) {
      if (c !== null && typeof c === 'object') countJobs(c, scope, here, budget);
      return;
    }
    if (
      typeof c.$each !== 'string' ||
      typeof c.as !== 'string' ||
      !c.job ||
      typeof c.job !== 'object'
    )
      return;
    let items: unknown;
    try {
      items = lookup(c.$each, scope, `${here}.$each`);
    } catch {
      return; // the expansion says what is wrong with it
    }
    if (!Array.isArray(items)) return;
    for (const item of items) {
      const vars = new Map(scope.vars).set(c.as, item);
      countJobs(c.job, { ...scope, vars }, `${here}.job`, budget);
    }
  });
}

class Expander {
  readonly origin = new Map<string, string>();
  private readonly budget = new Budget();

  value(v: unknown, scope: Scope, at: string, out: string, quote = false): unknown {
    if (typeof v === 'string') {
      const filled = expandString(v, scope, at, quote);
      this.budget.grow(typeof filled === 'string' ? filled.length + 2 : jsonSize(filled), at);
      return filled;
    }
    this.budget.grow(8, at);
    if (Array.isArray(v))
      return v.map((x, i) => this.value(x, scope, `${at}[${i}]`, `${out}[${i}]`));
    if (v === null || typeof v !== 'object') return v;
    const obj: JsonObject = {};
    const shell = isShell(v as Record<string, unknown>, scope, at);
    for (const [k, x] of Object.entries(v)) {
      this.budget.grow(k.length + 4, at);
      if (k === 'children' && Array.isArray(x))
        obj[k] = this.children(x, scope, `${at}.children`, `${out}.children`);
      else if (k === 'params' && shell && x !== null && typeof x === 'object' && !Array.isArray(x))
        obj[k] = this.shellParams(x as JsonObject, scope, `${at}.params`, `${out}.params`);
      else obj[k] = this.value(x, scope, `${at}.${k}`, `${out}.${k}`);
    }
    return obj;
  }

  /** A shell job's params: its `command` is the one place a placeholder is quoted. */
  private shellParams(params: JsonObject, scope: Scope, at: string, out: string): JsonObject {
    const obj: JsonObject = {};
    for (const [k, x] of Object.entries(params))
      obj[k] = this.value(x, scope, `${at}.${k}`, `${out}.${k}`, k === 'command');
    return obj;
  }

  job(v: unknown, scope: Scope, at: string, out: string): unknown {
    this.budget.job(at);
    this.origin.set(out, at);
    return this.value(v, scope, at, out);
  }

  children(list: unknown[], scope: Scope, at: string, out: string): unknown[] {
    const jobs: unknown[] = [];
    list.forEach((c, i) => {
      const here = `${at}[${i}]`;
      if (!isEach(c)) {
        jobs.push(this.job(c, scope, here, `${out}[${jobs.length}]`));
        return;
      }
      const [ref, as] = checkEach(c, here);
      const items = lookup(ref, scope, `${here}.$each`);
      if (!Array.isArray(items))
        throw new ValidationError(`${here}.$each: ${ref} is not a list`, `${here}.$each`);
      for (const item of items) {
        const vars = new Map(scope.vars).set(as, item);
        jobs.push(this.job(c.job, { ...scope, vars }, `${here}.job`, `${out}[${jobs.length}]`));
      }
    });
    return jobs;
  }
}

/**
 * Expands a definition's tree (a submission as in SPEC §3, holding
 * placeholders) with `params`; `at` is the tree's path in the definition.
 */
export function expandTree(tree: JsonObject, params: JsonObject, at = 'tree'): Expanded {
  const x = new Expander();
  const scope: Scope = { params, vars: new Map() };
  if (tree.job && typeof tree.job === 'object' && !isEach(tree.job))
    countJobs(tree.job, scope, `${at}.job`, new Budget());
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(tree)) {
    if (k === 'job') {
      if (isEach(v))
        throw new ValidationError(`${at}.job: the root cannot be an $each`, `${at}.job`);
      out.job = x.job(v, scope, `${at}.job`, 'job');
    } else out[k] = x.value(v, scope, `${at}.${k}`, k);
  }
  return { tree: out, origin: x.origin };
}

/**
 * Maps a path in an expanded tree (a validation error's) back to the
 * definition: the deepest expanded job on it, then the rest unchanged.
 */
export function definitionPath(expandedPath: string, origin: ReadonlyMap<string, string>): string {
  let best = '';
  for (const jobPath of origin.keys()) {
    const isPrefix =
      expandedPath === jobPath ||
      expandedPath.startsWith(`${jobPath}.`) ||
      expandedPath.startsWith(`${jobPath}[`);
    if (isPrefix && jobPath.length > best.length) best = jobPath;
  }
  if (!best) return `tree.${expandedPath}`;
  return `${origin.get(best)}${expandedPath.slice(best.length)}`;
}

/** Every placeholder and `$each` of a definition's tree, for the PUT-time check. */
export function collectReferences(tree: unknown, at = 'tree'): Reference[] {
  const refs: Reference[] = [];
  const visit = (v: unknown, here: string, vars: ReadonlySet<string>): void => {
    if (typeof v === 'string') {
      for (const part of v.split(ESCAPE)) {
        for (const m of part.matchAll(PLACEHOLDER)) {
          const path = (m[2] as string).split('.');
          if (path[0] !== 'params' && !vars.has(path[0] as string))
            throw new ValidationError(
              `${here}: \${${m[2]}} names nothing (want params.… or an $each "as")`,
              here,
            );
          if (path[0] === 'params') refs.push({ path: path.slice(1), at: here, isList: false });
        }
      }
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => visit(x, `${here}[${i}]`, vars));
      return;
    }
    if (v === null || typeof v !== 'object') return;
    if (isEach(v)) {
      const [ref, as] = checkEach(v, here);
      const path = ref.split('.');
      if (path[0] === 'params')
        refs.push({ path: path.slice(1), at: `${here}.$each`, isList: true });
      else if (!vars.has(path[0] as string))
        throw new ValidationError(`${here}.$each: ${ref} names nothing`, `${here}.$each`);
      visit(v.job, `${here}.job`, new Set([...vars, as]));
      return;
    }
    for (const [k, x] of Object.entries(v)) visit(x, `${here}.${k}`, vars);
  };
  visit(tree, at, new Set());
  return refs;
}
