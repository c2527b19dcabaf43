/**
 * Reading query strings for the routes: a parameter given once, a list, a
 * bounded number, and the `?wait=true&timeout=S` of a synchronous
 * submission (SPEC §7, §13). A bad value is a 400 naming the parameter.
 */
import type { Context } from 'koa';
import { LIMITS, TAG_KEY_RE } from '../jobtree/limits.js';
import { ValidationError } from '../shared/errors.js';

export function queryList(ctx: Context, name: string): string[] {
  const v = ctx.query[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

export function querySingle(ctx: Context, name: string): string | undefined {
  const list = queryList(ctx, name);
  if (list.length > 1) throw new ValidationError(`${name}: given more than once`, name);
  return list[0];
}

export function parseBoundedInt(
  value: string | undefined,
  name: string,
  min: number,
  max: number,
  dflt: number,
): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n < min || n > max) {
    throw new ValidationError(`${name}: want a number from ${min} to ${max}`, name);
  }
  return n;
}

/** `?wait=true&timeout=S` (default 30 s, at most an hour). */
/** A `true`/`false` query parameter; `fallback` when absent, a 400 naming it when neither. */
export function queryBool(ctx: Context, name: string, fallback: boolean): boolean {
  const v = querySingle(ctx, name);
  if (v === undefined) return fallback;
  if (v !== 'true' && v !== 'false') throw new ValidationError(`${name}: want true or false`, name);
  return v === 'true';
}

export function waitQuery(ctx: Context): { wait: boolean; timeoutS: number } {
  return {
    wait: queryBool(ctx, 'wait', false),
    timeoutS: parseBoundedInt(querySingle(ctx, 'timeout'), 'timeout', 0, 3600, 30),
  };
}

/** The `tag=key:value` pairs of a query, each checked (a tree listing, a log search). */
export function parseTags(ctx: Context): Array<[string, string]> {
  return queryList(ctx, 'tag').map((t) => {
    const i = t.indexOf(':');
    const k = t.slice(0, i);
    const v = t.slice(i + 1);
    if (i < 1 || !TAG_KEY_RE.test(k) || v.length < 1 || v.length > LIMITS.maxTagValue) {
      throw new ValidationError(`tag: want key:value, got "${t.slice(0, 80)}"`, 'tag');
    }
    return [k, v];
  });
}
