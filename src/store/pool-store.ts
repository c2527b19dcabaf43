/**
 * Pools of slots shared by every node (SPEC §12): create or resize, delete
 * when no job names them, list with their use. The claim scripts take and
 * give back the slots; this file never changes `used` itself.
 */
import type { PoolView } from '../shared/types.js';
import type { Keys } from './keys.js';
import { guard, SCRIPT_DONE, scriptError } from './redis-errors.js';
import type { ScriptClient } from './script-client.js';
import type { PoolStore } from './store.js';
import { execReads } from './slot-guard.js';

export class RedisPoolStore implements PoolStore {
  constructor(
    private readonly redis: ScriptClient,
    private readonly keys: Keys,
  ) {}

  /** Creates or resizes a pool; true when it was created. */
  async set(name: string, slots: number, description: string | undefined): Promise<boolean> {
    const created = await guard(
      this.redis.setPool(
        this.keys.pool(name),
        this.keys.prefix,
        name,
        slots,
        description ?? '',
        Date.now(),
      ),
    );
    return created === SCRIPT_DONE.ok;
  }

  async remove(name: string): Promise<void> {
    const code = await guard(
      this.redis.deletePool(
        this.keys.pool(name),
        this.keys.poolWaiting(name),
        this.keys.prefix,
        name,
      ),
    );
    if (Array.isArray(code)) {
      throw scriptError(
        'deletePool',
        code[0],
        `pool ${name} is named by ${code[1]} jobs that have not ended`,
      );
    }
    if (code !== SCRIPT_DONE.ok) throw scriptError('deletePool', code, name);
  }

  async list(): Promise<PoolView[]> {
    const names = (await guard(this.redis.smembers(this.keys.pools()))).sort();
    const rows = await execReads(this.redis, this.keys.pools(), (pipe) => {
      for (const n of names) pipe.hgetall(this.keys.pool(n)).llen(this.keys.poolWaiting(n));
    });
    const out: PoolView[] = [];
    names.forEach((name, i) => {
      const h = rows[i * 2]?.[1] as Record<string, string> | undefined;
      if (!h?.slots) return; // deleted between the two reads
      const pool: PoolView = {
        name,
        slots: Number(h.slots),
        used: Number(h.used ?? 0),
        queued: Number(rows[i * 2 + 1]?.[1] ?? 0),
      };
      if (h.description !== undefined) pool.description = h.description;
      out.push(pool);
    });
    return out;
  }

  async slots(names: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (names.length === 0) return out;
    const rows = await execReads(this.redis, this.keys.pools(), (pipe) => {
      for (const n of names) pipe.hget(this.keys.pool(n), 'slots');
    });
    names.forEach((n, i) => {
      const v = rows[i]?.[1];
      if (typeof v === 'string') out.set(n, Number(v));
    });
    return out;
  }
}
