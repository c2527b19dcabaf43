/**
 * What a config reload (SPEC §16 SIGHUP) can change while the agent runs,
 * and the keys of a new config that only a restart applies (named in the
 * log so that an operator knows).
 */
import type { Config } from '../config/config.js';

/** What a reload can change without a restart (SPEC §16); the rest is named in the log. */
const LIVE_KEYS = new Set(['log', 'concurrency', 'jobTypes.dirs', 'definitions', 'auth']);

/** The config keys (two levels deep) that differ and that only a restart applies. */
export function restartKeys(a: Config, b: Config): string[] {
  const out: string[] = [];
  const av = a as unknown as Record<string, unknown>;
  const bv = b as unknown as Record<string, unknown>;
  for (const key of Object.keys(bv)) {
    const x = av[key];
    const y = bv[key];
    if (x && y && typeof x === 'object' && !Array.isArray(x)) {
      for (const sub of Object.keys(y as object)) {
        const path = `${key}.${sub}`;
        const differs =
          JSON.stringify((x as Record<string, unknown>)[sub]) !==
          JSON.stringify((y as Record<string, unknown>)[sub]);
        if (differs && !LIVE_KEYS.has(key) && !LIVE_KEYS.has(path)) out.push(path);
      }
    } else if (JSON.stringify(x) !== JSON.stringify(y) && !LIVE_KEYS.has(key)) out.push(key);
  }
  return out;
}
