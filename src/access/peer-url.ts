/**
 * Which peer URLs an agent will call (SPEC §18): a node's URL comes from
 * its record in Redis, which anything with write access to Redis, an old
 * version or a bug may have filled. Only http(s) URLs are called, and
 * never plain http from an agent that serves TLS itself: its tokens would
 * cross the network in clear.
 */

/** Why `url` may not be called, or null when it may. */
export function peerUrlRefusal(url: unknown, ownTls: boolean): string | null {
  if (typeof url !== 'string' || url.length > 2048) return 'the node has no URL';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `the node's URL "${url.slice(0, 80)}" is not a URL`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return `the node's URL ${parsed.protocol} is not http(s)`;
  if (ownTls && parsed.protocol === 'http:')
    return `the node's URL ${url} is plain http, and this agent serves TLS: its token would cross the network in clear`;
  return null;
}
