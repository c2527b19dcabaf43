/**
 * Definitions in Redis (SPEC §13): immutable numbered versions, the inbox
 * of messages waiting to start a run, and what the dispatcher needs to know
 * of it. Runs themselves are trees, written by submitTree with their
 * definition's checks in the same script (includes/runs.lua).
 */
import type { Keys } from './keys.js';
import { guard, scriptError } from './redis-errors.js';
import type { ScriptClient } from './script-client.js';
import type { DefinitionStore, DefinitionVersion, InboxMessage } from './store.js';
import { execReads } from './slot-guard.js';

/** Versions kept per definition (older ones are dropped from the listing). */
const VERSIONS_KEPT = 100;

function versionsOf(h: Record<string, string>): DefinitionVersion[] {
  return Object.entries(h)
    .filter(([k]) => k.startsWith('v:'))
    .map(
      ([k, v]) =>
        ({ name: h.name, ...JSON.parse(v), version: Number(k.slice(2)) }) as DefinitionVersion,
    )
    .sort((a, b) => a.version - b.version);
}

export class RedisDefinitionStore implements DefinitionStore {
  constructor(
    private readonly redis: ScriptClient,
    private readonly keys: Keys,
  ) {}

  async put(
    name: string,
    content: Omit<DefinitionVersion, 'name' | 'version'>,
  ): Promise<{ version: number; created: boolean }> {
    const [code, version] = await guard(
      this.redis.putDefinition(
        this.keys.defs(),
        this.keys.def(name),
        this.keys.defsMeta(),
        name,
        content.sha256,
        JSON.stringify(content),
        content.maxConcurrentRuns ?? 0,
        VERSIONS_KEPT,
      ),
    );
    return { version, created: code === 1 };
  }

  async get(name: string, version?: number): Promise<DefinitionVersion | null> {
    const k = this.keys.def(name);
    const latest = version ?? Number(await guard(this.redis.hget(k, 'latest')));
    if (!latest) return null;
    const v = await guard(this.redis.hget(k, `v:${latest}`));
    return v ? ({ name, ...JSON.parse(v), version: latest } as DefinitionVersion) : null;
  }

  async list(): Promise<DefinitionVersion[]> {
    const names = (await guard(this.redis.smembers(this.keys.defs()))).sort();
    const latest = (
      await execReads(this.redis, this.keys.defs(), (pipe) => {
        for (const n of names) pipe.hget(this.keys.def(n), 'latest');
      })
    ).map(([, v]) => v as string | null);
    const rows = await execReads(this.redis, this.keys.defs(), (pipe) => {
      names.forEach((n, i) => pipe.hget(this.keys.def(n), `v:${latest[i] ?? 0}`));
    });
    return names.flatMap((name, i) => {
      const v = rows[i]?.[1] as string | null;
      return v ? [{ name, ...JSON.parse(v), version: Number(latest[i]) } as DefinitionVersion] : [];
    });
  }

  async versions(name: string): Promise<DefinitionVersion[]> {
    return versionsOf(await guard(this.redis.hgetall(this.keys.def(name))));
  }

  async remove(name: string): Promise<void> {
    const k = this.keys;
    const code = await guard(
      this.redis.deleteDefinition(
        k.defs(),
        k.def(name),
        k.defInbox(name),
        k.defMessages(name),
        k.defRunning(name),
        name,
      ),
    );
    if (code !== 1) throw scriptError('deleteDefinition', code, name);
  }

  async post(name: string, message: InboxMessage): Promise<number> {
    const position = await guard(
      this.redis.postMessage(
        this.keys.def(name),
        this.keys.defInbox(name),
        this.keys.defMessages(name),
        this.keys.prefix,
        name,
        message.id,
        JSON.stringify(message),
      ),
    );
    if (position < 0) throw scriptError('postMessage', position, name);
    return position;
  }

  async messages(name: string): Promise<InboxMessage[]> {
    const [ids, all] = await Promise.all([
      guard(this.redis.lrange(this.keys.defInbox(name), 0, -1)),
      guard(this.redis.hgetall(this.keys.defMessages(name))),
    ]);
    return ids.flatMap((id) => (all[id] ? [JSON.parse(all[id]) as InboxMessage] : []));
  }

  async withdraw(name: string, id: string): Promise<boolean> {
    const n = await guard(
      this.redis.withdrawMessage(this.keys.defInbox(name), this.keys.defMessages(name), id),
    );
    return n === 1;
  }

  async head(
    name: string,
  ): Promise<{ message: InboxMessage | null; running: number; max: number }> {
    const rows = await guard(
      this.redis
        .multi()
        .lindex(this.keys.defInbox(name), 0)
        .scard(this.keys.defRunning(name))
        .hget(this.keys.def(name), 'max')
        .exec(),
    );
    const [id, running, max] = (rows ?? []).map(([, v]) => v) as [
      string | null,
      number,
      string | null,
    ];
    const text = id ? await guard(this.redis.hget(this.keys.defMessages(name), id)) : null;
    return {
      message: text ? (JSON.parse(text) as InboxMessage) : null,
      running: Number(running),
      max: Number(max ?? 0),
    };
  }

  async withMessages(): Promise<string[]> {
    const names = await guard(this.redis.smembers(this.keys.defs()));
    const rows = await execReads(this.redis, this.keys.defs(), (pipe) => {
      for (const n of names) pipe.llen(this.keys.defInbox(n));
    });
    return names.filter((_, i) => Number(rows[i]?.[1] ?? 0) > 0);
  }
}
