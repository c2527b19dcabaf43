/**
 * Registered job types, cluster-wide (SPEC §11): immutable versions with
 * their sha256 and params schema, the latest version's source, and a
 * revision that every change bumps so nodes know when to look again.
 */
import type { JsonObject } from '../shared/types.js';
import type { Keys } from './keys.js';
import { isObject, parseObject } from './parse-record.js';
import { guard, SCRIPT_DONE, scriptError } from './redis-errors.js';
import type { ScriptClient } from './script-client.js';
import type { JobTypeStore, RegisteredType, TypeVersion } from './store.js';
import { execReads } from './slot-guard.js';

/** Versions kept per type (their metadata; only the latest keeps its source). */
const VERSIONS_KEPT = 20;

export class RedisJobTypeStore implements JobTypeStore {
  constructor(
    private readonly redis: ScriptClient,
    private readonly keys: Keys,
  ) {}

  async register(
    name: string,
    source: string,
    meta: { sha256: string; at: number; paramsSchema: JsonObject },
  ): Promise<{ version: number; created: boolean }> {
    const [code, version] = await guard(
      this.redis.registerType(
        this.keys.types(),
        this.keys.type(name),
        this.keys.typesMeta(),
        this.keys.typeSource(name),
        name,
        meta.sha256,
        JSON.stringify(meta),
        source,
        VERSIONS_KEPT,
      ),
    );
    if (code === SCRIPT_DONE.ok) await guard(this.redis.publish(this.keys.typesChannel(), name));
    return { version, created: code === SCRIPT_DONE.ok };
  }

  async remove(name: string): Promise<void> {
    const code = await guard(
      this.redis.removeType(
        this.keys.types(),
        this.keys.type(name),
        this.keys.typesMeta(),
        this.keys.typeSource(name),
        name,
      ),
    );
    if (code !== SCRIPT_DONE.ok) throw scriptError('removeType', code, name);
    await guard(this.redis.publish(this.keys.typesChannel(), name));
  }

  async list(): Promise<RegisteredType[]> {
    const names = (await guard(this.redis.smembers(this.keys.types()))).sort();
    const rows = await execReads(this.redis, this.keys.types(), (pipe) => {
      for (const n of names) pipe.hgetall(this.keys.type(n));
    });
    const out: RegisteredType[] = [];
    names.forEach((name, i) => {
      const h = (rows[i]?.[1] ?? {}) as Record<string, string>;
      // SPEC §18: a version whose record cannot be read is skipped, never a 500 for all
      const versions = Object.entries(h)
        .filter(([k]) => k.startsWith('v:'))
        .flatMap(([k, v]) => {
          const version = parseObject(v);
          if (!version || (version.paramsSchema !== undefined && !isObject(version.paramsSchema)))
            return [];
          return [{ ...(version as unknown as TypeVersion), version: Number(k.slice(2)) }];
        })
        .sort((a, b) => a.version - b.version);
      const latest = versions.find((v) => v.version === Number(h.latest));
      if (latest) out.push({ name, latest, versions });
    });
    return out;
  }

  async source(name: string, version: number): Promise<string | null> {
    const rows = await guard(
      this.redis
        .multi()
        .hget(this.keys.type(name), 'latest')
        .get(this.keys.typeSource(name))
        .exec(),
    );
    const [latest, source] = (rows ?? []).map(([, v]) => v as string | null);
    return Number(latest) === version ? (source ?? null) : null;
  }

  async revision(): Promise<number> {
    return Number((await guard(this.redis.hget(this.keys.typesMeta(), 'rev'))) ?? 0);
  }
}
