/** The `noop` job type: succeeds at once (SPEC §5). */
import type { JobType } from './job-type.js';

export const noop: JobType = {
  name: 'noop',
  paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  async run() {
    return {};
  },
};
