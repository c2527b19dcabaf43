/**
 * A `host:port` address (a Redis Sentinel's, SPEC §17), read where the
 * config is read and used where the store connects.
 */
export interface SentinelAddress {
  host: string;
  port: number;
}

/** `host:port` (or `[v6]:port`) as a Sentinel address; null when it is not one. */
export function parseHostPort(text: string): SentinelAddress | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port };
}
