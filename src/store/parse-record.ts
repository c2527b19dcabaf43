/**
 * Reading what Redis holds as JSON (SPEC §18): a record may have been
 * written by hand, by an old version or by a bug, so it is parsed where it
 * enters, and one that cannot be read is answered as such (undefined, or
 * the caller's fallback) for its caller to skip or fail, never thrown
 * into the read of everything around it.
 */

/** The JSON value of `text`, or undefined when it is none. */
export function parseJson(text: string | null | undefined): unknown {
  if (text === null || text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The JSON object of `text`, or undefined when it is none. */
export function parseObject(text: string | null | undefined): Record<string, unknown> | undefined {
  const value = parseJson(text);
  return isObject(value) ? value : undefined;
}
