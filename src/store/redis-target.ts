/**
 * Where the store's Redis is (SPEC §8, §17): one server by URL, or the
 * master a group of Sentinels names. The one description every
 * client of the store is made from (redis-client.ts), so the API's client,
 * the agent's and each Pub/Sub connection follow a failover the same way.
 */
import type { SentinelAddress } from '../shared/host-port.js';

export type RedisTarget =
  | { kind: 'server'; url: string }
  | { kind: 'sentinel'; sentinels: readonly SentinelAddress[]; name: string }
  | { kind: 'cluster'; nodes: readonly string[] };

/** A Redis URL, or a target as it is: what the store and its helpers accept. */
export type RedisPlace = string | RedisTarget;

export function toTarget(place: RedisPlace): RedisTarget {
  return typeof place === 'string' ? { kind: 'server', url: place } : place;
}

/** For logs and errors: where the store connects, without any password. */
export function describeTarget(target: RedisTarget): string {
  const hidePassword = (url: string) => url.replace(/\/\/[^@/]*@/, '//***@');
  switch (target.kind) {
    case 'server':
      return hidePassword(target.url);
    case 'sentinel':
      return `master "${target.name}" of sentinels ${target.sentinels.map((s) => `${s.host}:${s.port}`).join(', ')}`;
    case 'cluster':
      return `cluster of ${target.nodes.map(hidePassword).join(', ')}`;
  }
}
