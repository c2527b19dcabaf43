/** The `sleep` job type: waits `ms`, and stops at once on abort (SPEC §5). */
import { setTimeout as delay } from 'node:timers/promises';
import type { JobType } from './job-type.js';

export const sleep: JobType<{ ms: number }> = {
  name: 'sleep',
  paramsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['ms'],
    properties: { ms: { type: 'integer', minimum: 0, maximum: 7 * 24 * 3600 * 1000 } },
  },
  async run(ctx) {
    await delay(ctx.params.ms, undefined, { signal: ctx.signal });
    return { summary: `slept ${ctx.params.ms} ms` };
  },
};
