/** The sha256 of a text or bytes as hex: how job type versions are named (SPEC §11). */
import { createHash } from 'node:crypto';

export function sha256Of(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
