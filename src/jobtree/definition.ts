/**
 * A definition as PUT (SPEC §13): its shape, the PUT-time rules a schema
 * cannot say (placeholders declared, `$each` over lists), a run's params
 * checked against its params schema with defaults filled in, the tags a
 * run carries, and the canonical text that tells a new version from the
 * same content. Pure: every error is a ValidationError naming its path.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import { ValidationError } from '../shared/errors.js';
import { RESOURCE_NAME_PATTERN } from '../shared/ids.js';
import type { JsonObject } from '../shared/types.js';
import { collectReferences } from './expand.js';
import { assertLinearPatterns, linearRegExp } from './linear-regexp.js';
import { LIMITS } from './limits.js';
import { treeSchema } from './schema.js';
import { declaredAt, isListSchema, specimenOf } from './specimen.js';
import { assertNesting, describeAjvError } from './validate.js';

/** The body of PUT /api/v1/definitions/:name (and of a file `defs apply` reads). */
export interface DefinitionSpec {
  name?: string;
  description?: string;
  params?: JsonObject;
  tags?: Record<string, string>;
  maxConcurrentRuns?: number;
  tree: JsonObject;
}

/** The tags jobtree sets on every run; neither a definition nor a run may name them. */
export const RUN_TAGS = ['definition', 'definition.version'] as const;

const definitionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['tree'],
  properties: {
    name: { type: 'string', pattern: `^${RESOURCE_NAME_PATTERN}$` },
    description: { type: 'string', maxLength: 1000 },
    params: { type: 'object', required: ['type'], properties: { type: { const: 'object' } } },
    tags: treeSchema.properties.tags,
    maxConcurrentRuns: { type: 'integer', minimum: 1, maximum: 1000 },
    tree: { type: 'object' },
  },
} as const;

const shapeAjv = new Ajv({ allErrors: false, strict: false });
const checkShape = shapeAjv.compile<DefinitionSpec>(definitionSchema);
// SPEC §18: a run's params are a run-token holder's; the definition's patterns run in linear time
const paramsAjv = new Ajv({
  allErrors: false,
  strict: false,
  useDefaults: true,
  code: { regExp: linearRegExp },
});
const paramsChecks = new Map<string, ValidateFunction>();

function fail(e: Parameters<typeof describeAjvError>[0], prefix: string): ValidationError {
  const { path, problem } = describeAjvError(e);
  const at = path ? `${prefix}.${path}` : prefix;
  return new ValidationError(`${at}: ${problem}`, at);
}

function compiledParams(schema: JsonObject): ValidateFunction {
  const text = JSON.stringify(schema);
  let check = paramsChecks.get(text);
  if (!check) {
    assertLinearPatterns(schema, 'params');
    try {
      check = paramsAjv.compile(schema);
    } catch (err) {
      throw new ValidationError(`params: not a JSON Schema: ${(err as Error).message}`, 'params');
    }
    if (paramsChecks.size > 1000) paramsChecks.clear();
    paramsChecks.set(text, check);
  }
  return check;
}

/**
 * Checks a definition's shape and its placeholders against its params
 * schema; returns it with the specimen params its tree is validated with.
 */
export function checkDefinition(body: unknown): { spec: DefinitionSpec; specimen: JsonObject } {
  assertNesting(body);
  if (!checkShape(body)) {
    const e = checkShape.errors?.[0];
    if (!e) throw new ValidationError('invalid body');
    const { path, problem } = describeAjvError(e);
    throw new ValidationError(`${path || 'body'}: ${problem}`, path || undefined);
  }
  const spec = body;
  for (const key of RUN_TAGS) {
    if (
      spec.tags?.[key] !== undefined ||
      (spec.tree.tags as Record<string, unknown> | undefined)?.[key] !== undefined
    )
      throw new ValidationError(`tags.${key}: set by jobtree on every run`, `tags.${key}`);
  }
  const params = spec.params ?? { type: 'object', properties: {} };
  compiledParams(params);
  for (const ref of collectReferences(spec.tree)) {
    const declared = declaredAt(params, ref.path);
    if (!declared)
      throw new ValidationError(
        `${ref.at}: params.${ref.path.join('.')} is not declared in params`,
        ref.at,
      );
    if (ref.isList && !isListSchema(declared))
      throw new ValidationError(
        `${ref.at}: params.${ref.path.join('.')} is not declared an array`,
        ref.at,
      );
  }
  return { spec, specimen: specimenOf(params) as JsonObject };
}

/** A run's params checked against the definition's schema, with its defaults filled in. */
export function checkRunParams(schema: JsonObject | undefined, params: unknown): JsonObject {
  if (params === undefined) params = {};
  if (params === null || typeof params !== 'object' || Array.isArray(params))
    throw new ValidationError('params: want an object', 'params');
  if (Buffer.byteLength(JSON.stringify(params)) > LIMITS.maxParamsBytes)
    throw new ValidationError('params: larger than 64 KiB', 'params');
  const copy = structuredClone(params) as JsonObject;
  const check = compiledParams(schema ?? { type: 'object' });
  if (!check(copy)) {
    const e = check.errors?.[0];
    throw e ? fail(e, 'params') : new ValidationError('params: invalid', 'params');
  }
  return copy;
}

/**
 * The tags of a run (SPEC §13): jobtree's over the request's, over the
 * tree's, over the definition's. A request naming jobtree's is a 400.
 */
export function runTags(
  spec: Pick<DefinitionSpec, 'tags'>,
  treeTags: unknown,
  version: number,
  name: string,
  requested: Record<string, string> | undefined,
): Record<string, string> {
  for (const key of RUN_TAGS) {
    if (requested?.[key] !== undefined)
      throw new ValidationError(`tags.${key}: set by jobtree on every run`, `tags.${key}`);
  }
  return {
    ...spec.tags,
    ...(treeTags as Record<string, string> | undefined),
    ...requested,
    definition: name,
    'definition.version': String(version),
  };
}

/** JSON with object keys sorted: the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as JsonObject)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A definition file as `jobtree defs apply` and `definitions.dirs` read it
 * (SPEC §13): JSON, named by its `name` field, else by the file's base name.
 */
export function definitionFromFile(
  text: string,
  baseName: string,
): { name: string; body: JsonObject } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(`not JSON: ${(err as Error).message}`);
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new ValidationError('want a definition object');
  const named = (body as { name?: unknown }).name;
  const name = typeof named === 'string' ? named : baseName.replace(/\.json$/, '');
  return { name, body: body as JsonObject };
}
