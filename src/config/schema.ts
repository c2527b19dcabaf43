/**
 * The JSON Schema of the agent's configuration. Data only; every default
 * lives in config/default.json and is explained in the README.
 */
import { NODE_NAME_PATTERN } from '../shared/ids.js';

export const configSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'host',
    'port',
    'dataDir',
    'redis',
    'heartbeat',
    'claim',
    'backlog',
    'shutdown',
    'retention',
    'shell',
    'jobTypes',
    'definitions',
    'auth',
    'tls',
    'log',
    'limits',
    'logs',
  ],
  properties: {
    node: { type: ['string', 'null'], pattern: `^${NODE_NAME_PATTERN}$` },
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    url: { type: ['string', 'null'], pattern: '^https?://' },
    dataDir: { type: 'string', minLength: 1 },
    concurrency: { type: ['integer', 'null'], minimum: 1, maximum: 4096 },
    redis: {
      type: 'object',
      additionalProperties: false,
      required: ['prefix', 'embedded'],
      properties: {
        url: { type: ['string', 'null'], pattern: '^rediss?://' },
        prefix: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' },
        embedded: { type: 'boolean' },
        // SPEC §17: the master `name` of these sentinels, instead of `url`
        sentinels: {
          type: ['array', 'null'],
          minItems: 1,
          maxItems: 64,
          items: {
            anyOf: [
              { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9_.-]+):[0-9]{1,5}$' },
              {
                type: 'object',
                additionalProperties: false,
                required: ['host', 'port'],
                properties: {
                  host: { type: 'string', minLength: 1 },
                  port: { type: 'integer', minimum: 1, maximum: 65535 },
                },
              },
            ],
          },
        },
        name: { type: ['string', 'null'], pattern: '^[A-Za-z0-9_.-]{1,128}$' },
        // SPEC §17: some masters of a Redis Cluster (the rest are found), instead of `url`
        cluster: {
          type: ['array', 'null'],
          minItems: 1,
          maxItems: 64,
          items: { type: 'string', pattern: '^rediss?://' },
        },
      },
    },
    heartbeat: {
      type: 'object',
      additionalProperties: false,
      required: ['intervalMs', 'ttlMs'],
      properties: {
        intervalMs: { type: 'integer', minimum: 50 },
        ttlMs: { type: 'integer', minimum: 200 },
      },
    },
    claim: {
      type: 'object',
      additionalProperties: false,
      required: ['pollMs', 'batch'],
      properties: {
        pollMs: { type: 'integer', minimum: 10 },
        batch: { type: 'integer', minimum: 1, maximum: 1000 },
      },
    },
    backlog: {
      type: 'object',
      additionalProperties: false,
      required: ['maxQueued'],
      properties: { maxQueued: { type: 'integer', minimum: 1 } },
    },
    shutdown: {
      type: 'object',
      additionalProperties: false,
      required: ['graceMs', 'mode'],
      properties: {
        graceMs: { type: 'integer', minimum: 0 },
        mode: { enum: ['drain', 'detach'] },
      },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      required: ['maxAgeMs', 'sweepIntervalMs'],
      properties: {
        maxAgeMs: { type: 'integer', minimum: 0 },
        sweepIntervalMs: { type: 'integer', minimum: 50 },
      },
    },
    shell: {
      type: 'object',
      additionalProperties: false,
      required: ['enabled', 'killGraceMs'],
      properties: {
        enabled: { type: 'boolean' },
        killGraceMs: { type: 'integer', minimum: 0 },
      },
    },
    jobTypes: {
      type: 'object',
      additionalProperties: false,
      required: ['dirs', 'acceptRegistered', 'maxHeapMb'],
      properties: {
        // null: <dataDir>/job-types
        dirs: { type: ['array', 'null'], items: { type: 'string', minLength: 1 }, maxItems: 64 },
        acceptRegistered: { type: 'boolean' },
        maxHeapMb: { type: 'integer', minimum: 16, maximum: 65536 },
      },
    },
    definitions: {
      type: 'object',
      additionalProperties: false,
      required: ['dirs'],
      properties: {
        dirs: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 64 },
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['token', 'runToken', 'readToken', 'allowPlainHttp', 'allowedHosts'],
      properties: {
        token: { type: ['string', 'null'], minLength: 16, maxLength: 4096, pattern: '^\\S+$' },
        runToken: { type: ['string', 'null'], minLength: 16, maxLength: 4096, pattern: '^\\S+$' },
        readToken: { type: ['string', 'null'], minLength: 16, maxLength: 4096, pattern: '^\\S+$' },
        allowPlainHttp: { type: 'boolean' },
        // SPEC §18: names a reverse proxy reaches the agent at (`*.example.com`: any subdomain)
        allowedHosts: {
          type: 'array',
          maxItems: 256,
          items: { type: 'string', pattern: '^(\\*\\.)?[A-Za-z0-9_.:\\[\\]-]{1,253}$' },
        },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['cert', 'key', 'ca'],
      properties: {
        cert: { type: ['string', 'null'], minLength: 1 },
        key: { type: ['string', 'null'], minLength: 1 },
        ca: { type: ['string', 'null'], minLength: 1 },
      },
    },
    // SPEC §18: what one caller may hold of an agent
    limits: {
      type: 'object',
      additionalProperties: false,
      required: ['subscriptionsPerSocket', 'socketsPerClient', 'bigReads'],
      properties: {
        subscriptionsPerSocket: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        socketsPerClient: { type: 'integer', minimum: 1, maximum: 1_000_000 },
        bigReads: { type: 'integer', minimum: 1, maximum: 1000 },
      },
    },
    logs: {
      type: 'object',
      additionalProperties: false,
      required: ['searchBudgetMs', 'archive', 'tail'],
      properties: {
        searchBudgetMs: { type: 'integer', minimum: 10, maximum: 60_000 },
        // SPEC §19: a job's log kept with its tree in Redis once it ended
        archive: {
          type: 'object',
          additionalProperties: false,
          required: ['enabled', 'maxBytes'],
          properties: {
            enabled: { type: 'boolean' },
            maxBytes: { type: 'integer', minimum: 1024, maximum: 64 * 1024 * 1024 },
          },
        },
        // SPEC §19: how long the merged tail holds lines back to order them by time
        tail: {
          type: 'object',
          additionalProperties: false,
          required: ['holdMs'],
          properties: {
            holdMs: { type: 'integer', minimum: 0, maximum: 250 },
          },
        },
      },
    },
    log: {
      type: 'object',
      additionalProperties: false,
      required: ['level'],
      properties: {
        level: { enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] },
      },
    },
  },
} as const;
