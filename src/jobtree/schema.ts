/**
 * JSON Schemas of a submitted tree and of grafted children (SPEC §3). Data
 * only; validate.ts compiles them. `additionalProperties: false` everywhere:
 * unknown fields are an error, never silently dropped.
 */
import { NODE_NAME_PATTERN, RESOURCE_NAME_PATTERN } from '../shared/ids.js';
import { LIMITS } from './limits.js';

const nodeName = { type: 'string', pattern: `^(\\*|${NODE_NAME_PATTERN})$` };

export const jobSchema = {
  $id: 'job',
  type: 'object',
  additionalProperties: false,
  required: ['title', 'type'],
  properties: {
    title: { type: 'string', minLength: 1, maxLength: LIMITS.maxTitle },
    // a registered type's name may start with a digit (SPEC §11: [a-z0-9][a-z0-9_.-]{0,63})
    type: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,63}$' },
    params: { type: 'object' },
    node: nodeName,
    key: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$' },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 30 * 24 * 3600 * 1000 },
    pool: { type: 'string', pattern: `^${RESOURCE_NAME_PATTERN}$` },
    poolSlots: { type: 'integer', minimum: 1, maximum: LIMITS.maxPoolSlots },
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
    job: { $ref: 'job' },
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
