/**
 * Job and tree ids: UUID v4, validated before they touch a Redis key or a
 * path (SPEC §10). Must never accept anything a path could escape with.
 */
import { v4 as uuidv4, validate, version } from 'uuid';

/** A new job id (UUID v4, 36 characters). */
export function newId(): string {
  return uuidv4();
}

/** True for a lower- or upper-case UUID v4 and nothing else. */
export function isJobId(value: unknown): value is string {
  return (
    typeof value === 'string' && value.length === 36 && validate(value) && version(value) === 4
  );
}

/** Node names go into keys and URLs: a conservative alphabet (a pattern for JSON Schemas). */
export const NODE_NAME_PATTERN = '[A-Za-z0-9][A-Za-z0-9_.-]{0,63}';

/**
 * Names of registered job types and of pools (SPEC §11, §12): they go into
 * Redis keys, file names and URLs.
 */
export const RESOURCE_NAME_PATTERN = '[a-z0-9][a-z0-9_.-]{0,63}';
const RESOURCE_NAME_RE = new RegExp(`^${RESOURCE_NAME_PATTERN}$`);

/** True for a name a job type or a pool may have. */
export function isResourceName(value: unknown): value is string {
  return typeof value === 'string' && RESOURCE_NAME_RE.test(value);
}
