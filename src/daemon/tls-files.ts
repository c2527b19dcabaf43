/**
 * The agent's TLS material (SPEC §16): its certificate and key, served on
 * the API's port (HTTPS and WSS), and the CA that the other nodes'
 * certificates chain to, trusted by relays and proxied log reads. Read once
 * at start; an unreadable file stops the agent naming its key.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { ConfigError } from '../shared/errors.js';

export interface TlsFiles {
  /** Present when this agent serves HTTPS. */
  server?: { cert: Buffer; key: Buffer };
  /** Trusted for connections to other nodes; Node's own CAs when absent. */
  ca?: Buffer;
}

function read(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(key, `cannot read ${path}: ${(err as Error).message}`);
  }
}

export function readTls(tls: Config['tls']): TlsFiles {
  const out: TlsFiles = {};
  if (tls.cert !== null && tls.key !== null)
    out.server = { cert: read('tls.cert', tls.cert), key: read('tls.key', tls.key) };
  if (tls.ca !== null) out.ca = read('tls.ca', tls.ca);
  return out;
}
