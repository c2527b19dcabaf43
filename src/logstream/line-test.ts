/**
 * The test a log line's text must pass, for the search and the merged tail
 * (SPEC §19): a substring, or a pattern run in linear time (RE2, so that no
 * pattern a caller sends can hold an agent's loop). A pattern RE2 cannot
 * run is refused where it enters.
 */
import { RE2JS } from 're2js';
import { ValidationError } from '../shared/errors.js';

/** The longest text or pattern taken. */
export const MAX_PATTERN = 1000;

export function lineTest(
  given: { q: string } | { re: string },
  field: string,
): (text: string) => boolean {
  if ('q' in given) {
    const q = given.q;
    return (text) => text.includes(q);
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(given.re);
  } catch (err) {
    throw new ValidationError(
      `${field}: cannot be matched in linear time (${(err as Error).message})`,
      field,
    );
  }
  return (text) => re.matcher(text).find();
}
