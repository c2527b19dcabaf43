/**
 * A job type's params check compiled from its JSON Schema (SPEC §5, §11),
 * cached by the schema's text: admission checks submissions against the
 * schemas other nodes publish, and compiling one costs about a millisecond.
 */
import { Ajv } from 'ajv';
import type { JsonObject } from '../shared/types.js';
import { assertLinearPatterns, linearRegExp } from './linear-regexp.js';
import { describeAjvError, type ParamsCheck } from './validate.js';

// SPEC §18: patterns in linear time; params come from run-token holders through definitions
const ajv = new Ajv({ allErrors: false, strict: false, code: { regExp: linearRegExp } });
const cache = new Map<string, ParamsCheck>();
/** Enough for every version of every type of a big cluster; a full cache starts over. */
const CACHE_MAX = 1000;

/**
 * The check for `schema`; throws (with ajv's reason) when it is not a
 * schema, which makes a job type's version fail to load.
 */
export function paramsCheckOf(schema: JsonObject): ParamsCheck {
  const text = JSON.stringify(schema);
  const hit = cache.get(text);
  if (hit) return hit;
  assertLinearPatterns(schema, 'paramsSchema');
  const validate = ajv.compile(schema);
  const check: ParamsCheck = (params) => {
    if (validate(params)) return null;
    const e = validate.errors?.[0];
    if (!e) return { path: '', message: 'invalid' };
    const { path, problem } = describeAjvError(e);
    return { path, message: problem };
  };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(text, check);
  return check;
}
