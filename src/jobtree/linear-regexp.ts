/**
 * Schema patterns matched in linear time (SPEC §18): a definition's params
 * schema and a job type's are written by an admin but matched against what
 * run-token holders send, and a backtracking engine lets one pattern such
 * as `^(a+)+$` hold the agent for seconds. RE2's engine (re2js, pure
 * JavaScript) never backtracks; a pattern it cannot run (backreferences,
 * lookaround) is refused where the schema is stored, naming its path.
 */
import { RE2JS } from 're2js';
import { ValidationError } from '../shared/errors.js';

/**
 * ajv's `code.regExp`: a pattern of a schema, compiled for RE2 (an
 * unanchored search, as JSON Schema says). `code` names it in standalone
 * validation code, which jobtree does not generate.
 */
export const linearRegExp = Object.assign(
  (pattern: string): { test(text: string): boolean } => {
    const re = RE2JS.compile(pattern);
    return { test: (text) => re.matcher(text).find() };
  },
  { code: 'linearRegExp' },
);

function refuse(pattern: string, at: string, err: unknown): ValidationError {
  const why = err instanceof Error ? err.message : String(err);
  return new ValidationError(
    `${at}: "${pattern.slice(0, 80)}" cannot be matched in linear time (${why})`,
    at,
  );
}

/**
 * Checks every `pattern` and `patternProperties` key of a schema before it
 * is compiled, so that a refusal names the pattern's path (`params.properties.v.pattern`).
 */
export function assertLinearPatterns(schema: unknown, at: string): void {
  const stack: Array<[unknown, string]> = [[schema, at]];
  while (stack.length > 0) {
    const [node, here] = stack.pop() as [unknown, string];
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) {
      node.forEach((x, i) => stack.push([x, `${here}[${i}]`]));
      continue;
    }
    const obj = node as Record<string, unknown>;
    if (typeof obj.pattern === 'string') {
      try {
        RE2JS.compile(obj.pattern);
      } catch (err) {
        throw refuse(obj.pattern, `${here}.pattern`, err);
      }
    }
    const props = obj.patternProperties;
    if (props !== null && typeof props === 'object' && !Array.isArray(props)) {
      for (const key of Object.keys(props)) {
        try {
          RE2JS.compile(key);
        } catch (err) {
          throw refuse(key, `${here}.patternProperties`, err);
        }
      }
    }
    for (const [k, v] of Object.entries(obj)) stack.push([v, `${here}.${k}`]);
  }
}
