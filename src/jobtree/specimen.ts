/**
 * What a definition's params schema declares (SPEC §13): the schema of a
 * placeholder's parameter, and a specimen of each type so that the tree
 * can be validated at PUT time with every placeholder filled (the
 * parameter's `default`, else its first `enum` or `examples` value, else a
 * value of its JSON type). Pure.
 */
import type { JsonObject } from '../shared/types.js';

type Schema = Record<string, unknown>;

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
  if ('default' in schema) return schema.default;
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  switch (typeOf(schema)) {
    case 'string':
      return 'x'.repeat(Math.max(1, Number(schema.minLength ?? 1)));
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    case 'array': {
      const n = Math.max(1, Number(schema.minItems ?? 1));
      const items = (schema.items ?? {}) as Schema;
      return Array.from({ length: n }, () => specimenOf(items));
    }
    case 'object': {
      const out: JsonObject = {};
      for (const [k, s] of Object.entries((schema.properties ?? {}) as Record<string, Schema>))
        out[k] = specimenOf(s);
      return out;
    }
    default:
      return 'x';
  }
}
