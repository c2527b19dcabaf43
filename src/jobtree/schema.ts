/**
 * JSON Schemas of a submitted tree and of grafted children (SPEC §3). Data
 * only; validate.ts compiles them. `additionalProperties: false` everywhere:
 * unknown fields are an error, never silently dropped.
 */
import { NODE_NAME_PATTERN, RESOURCE_NAME_PATTERN } from '../shared/ids.js';
import { LIMITS } from './limits.js';

const nodeName = { type: 'string', pattern: `^(\\*|${NODE_NAME_PATTERN})$` };

const delay = { type: 'integer', minimum: 0, maximum: LIMITS.maxRetryDelayMs };

/** SPEC §14: how often a job is tried, how long between tries, on which codes. */
export const retrySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['attempts'],
  properties: {
    attempts: { type: 'integer', minimum: 1, maximum: LIMITS.maxAttempts },
    backoff: {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'delayMs'],
      properties: {
        type: { enum: ['fixed', 'exponential'] },
        delayMs: delay,
        maxDelayMs: delay,
      },
    },
    // an abort is never retried: ABORTED_BY_* cannot be named
    on: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      items: { type: 'string', pattern: '^(?!ABORTED_BY_)[A-Z][A-Z0-9_]{0,63}$' },
    },
  },
} as const;

const jobType = { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,63}$' };
const title = { type: 'string', minLength: 1, maxLength: LIMITS.maxTitle };
const timeoutMs = { type: 'integer', minimum: 1, maximum: 30 * 24 * 3600 * 1000 };

/** SPEC §15: the handler that undoes a job, run on the node that ran it. */
export const compensateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: { type: jobType, params: { type: 'object' }, title, timeoutMs },
} as const;

export const jobSchema = {
  $id: 'job',
  type: 'object',
  additionalProperties: false,
  required: ['title', 'type'],
  properties: {
    title,
    // a registered type's name may start with a digit (SPEC §11: [a-z0-9][a-z0-9_.-]{0,63})
    type: jobType,
    params: { type: 'object' },
    node: nodeName,
    key: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
    timeoutMs,
    pool: { type: 'string', pattern: `^${RESOURCE_NAME_PATTERN}$` },
    poolSlots: { type: 'integer', minimum: 1, maximum: LIMITS.maxPoolSlots },
    retry: retrySchema,
    compensate: compensateSchema,
    children: { type: 'array', items: { $ref: 'job' } },
  },
} as const;

export const treeSchema = {
  $id: 'tree',
  type: 'object',
  additionalProperties: false,
  required: ['job'],
  properties: {
    tags: {
      type: 'object',
      maxProperties: LIMITS.maxTags,
      propertyNames: { pattern: '^[a-z0-9_.-]{1,64}$' },
      additionalProperties: { type: 'string', minLength: 1, maxLength: LIMITS.maxTagValue },
    },
    context: { type: 'object' },
    admission: { enum: ['wait', 'reject'] },
    defaults: {
      type: 'object',
      additionalProperties: false,
      properties: { retry: retrySchema },
    },
    job: { $ref: 'job' },
    onFailure: { $ref: 'job' },
  },
} as const;

export const childrenSchema = {
  $id: 'children',
  type: 'object',
  additionalProperties: false,
  required: ['jobs'],
  properties: {
    jobs: { type: 'array', minItems: 1, items: { $ref: 'job' } },
  },
} as const;
