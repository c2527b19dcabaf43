/**
 * Secrets an agent keeps in its data dir (SPEC §18 local hardening): made
 * once, readable by the agent's user only (0600), never rewritten. Two
 * agents starting at once on the same dir agree on the first one written.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The secret at `path`, made of `bytes` random bytes (hex) if there is none yet. */
export function readOrMakeSecret(path: string, bytes = 32): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, randomBytes(bytes).toString('hex'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    chmodSync(path, 0o600); // one an older version left readable
  }
  const secret = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{16,}$/.test(secret))
    throw new Error(`${path} holds no secret: remove it, and the agent makes a new one`);
  return secret;
}
