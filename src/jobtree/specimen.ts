/**
 * What a definition's params schema declares (SPEC §13): the schema of a
 * placeholder's parameter, and a specimen of each type so that the tree
 * can be validated at PUT time with every placeholder filled (the
 * parameter's `default`, else its first `enum` or `examples` value, else a
 * value of its JSON type). Pure. SPEC §18: a specimen is small whatever
 * the schema says (`minItems: 1e8`): lists of at most 3 items, strings of
 * at most 64 characters, and at most SPECIMEN_NODES values in all.
 */
import type { JsonObject } from '../shared/types.js';

type Schema = Record<string, unknown>;

/** SPEC §18: the most items of a specimen list, characters of a string, values in all. */
export const SPECIMEN_ITEMS = 3;
export const SPECIMEN_CHARS = 64;
export const SPECIMEN_NODES = 10_000;

function typeOf(schema: Schema): string | undefined {
  const t = schema.type;
  if (Array.isArray(t)) return t.find((x) => x !== 'null') as string | undefined;
  if (typeof t === 'string') return t;
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return undefined;
}

/** The schema of the parameter at `path` (`['a', 'b']` for params.a.b), or undefined if undeclared. */
export function declaredAt(schema: JsonObject, path: string[]): Schema | undefined {
  let at: Schema | undefined = schema;
  for (const part of path) {
    const props = at?.properties as Record<string, Schema> | undefined;
    at = props && Object.hasOwn(props, part) ? props[part] : undefined;
    if (!at) return undefined;
  }
  return at;
}

/** True when the parameter's schema says it is a list (what `$each` needs). */
export function isListSchema(schema: Schema): boolean {
  return typeOf(schema) === 'array';
}

/** A value of the schema's type that it would accept where that is easy to tell. */
export function specimenOf(schema: Schema): unknown {
  const budget = { left: SPECIMEN_NODES };
  return specimen(schema, budget);
}

function specimen(schema: Schema, budget: { left: number }): unknown {
  budget.left -= 1;
  if ('default' in schema) return schema.default;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  switch (typeOf(schema)) {
    case 'string':
      return 'x'.repeat(bounded(schema.minLength, 1, SPECIMEN_CHARS));
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array': {
      const items = (schema.items ?? {}) as Schema;
      const out: unknown[] = [];
      for (let i = bounded(schema.minItems, 1, SPECIMEN_ITEMS); i > 0 && budget.left > 0; i--)
        out.push(specimen(items, budget));
      return out;
    }
    case 'object': {
      const out: JsonObject = {};
      for (const [k, s] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
        if (budget.left <= 0) break;
        out[k] = specimen(s, budget);
      }
      return out;
    }
    default:
      return 'x';
  }
}

/** `n` as a count from 1 to `max` (a schema may say anything, or nothing). */
function bounded(n: unknown, min: number, max: number): number {
  return typeof n === 'number' && Number.isFinite(n)
    ? Math.min(max, Math.max(min, Math.floor(n)))
    : min;
}
