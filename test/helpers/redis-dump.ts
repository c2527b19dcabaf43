/**
 * Reads every key under a prefix with everything it holds (names, members,
 * fields, values), so a test can prove no trace of a tree is left.
 */
import { Redis } from 'ioredis';
import { testRedisUrl } from './hooks.js';

export async function dumpPrefix(
  prefix: string,
  url = testRedisUrl(),
): Promise<Map<string, string[]>> {
  const redis = new Redis(url);
  try {
    const out = new Map<string, string[]>();
    for (const key of await redis.keys(`${prefix}:*`)) {
      const type = await redis.type(key);
      const content =
        type === 'hash'
          ? Object.entries(await redis.hgetall(key)).flat()
          : type === 'zset'
            ? await redis.zrange(key, 0, -1)
            : type === 'set'
              ? await redis.smembers(key)
              : type === 'list'
                ? await redis.lrange(key, 0, -1)
                : [String(await redis.get(key))];
      out.set(key, content);
    }
    return out;
  } finally {
    redis.disconnect();
  }
}

/** Keys whose name or content mentions any of `ids`. */
export function mentions(dump: Map<string, string[]>, ids: string[]): string[] {
  return [...dump]
    .filter(([key, content]) =>
      ids.some((id) => key.includes(id) || content.some((c) => c.includes(id))),
    )
    .map(([key]) => key);
}
