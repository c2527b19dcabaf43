/**
 * Definitions in Redis (SPEC §13): immutable numbered versions, the inbox
 * of messages waiting to start a run, and what the dispatcher needs to know
 * of it. Runs themselves are trees, written by submitTree with their
 * definition's checks in the same script (includes/runs.lua).
 */
import type { Keys } from './keys.js';
import { isObject, parseObject } from './parse-record.js';
import { guard, isRefusal, SCRIPT_DONE, scriptError } from './redis-errors.js';
import type { ScriptClient } from './script-client.js';
import type {
  DefinitionStore,
  DefinitionVersion,
  FailedMessage,
  InboxHead,
  InboxMessage,
} from './store.js';
import { execReads } from './slot-guard.js';

/** Versions kept per definition (older ones are dropped from the listing). */
const VERSIONS_KEPT = 100;
/** Failed messages kept per definition (SPEC §18). */
const FAILED_KEPT = 100;

/** A stored version, or null when its record cannot be read (SPEC §18: skipped, not thrown). */
function versionOf(name: string, version: number, text: string | null | undefined) {
  const content = parseObject(text);
  if (!content || !isObject(content.tree)) return null;
  return { ...content, name, version } as unknown as DefinitionVersion;
}

function versionsOf(name: string, h: Record<string, string>): DefinitionVersion[] {
  return Object.entries(h)
    .filter(([k]) => k.startsWith('v:'))
    .flatMap(([k, v]) => versionOf(name, Number(k.slice(2)), v) ?? [])
    .sort((a, b) => a.version - b.version);
}

/** A stored message, or null when its record cannot be read. */
function messageOf(text: string | null | undefined): InboxMessage | null {
  const m = parseObject(text);
  if (!m || typeof m.id !== 'string' || !isObject(m.params)) return null;
  return m as unknown as InboxMessage;
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
    return { version, created: code === SCRIPT_DONE.ok };
  }

  async get(name: string, version?: number): Promise<DefinitionVersion | null> {
    const k = this.keys.def(name);
    const latest = version ?? Number(await guard(this.redis.hget(k, 'latest')));
    if (!latest) return null;
    return versionOf(name, latest, await guard(this.redis.hget(k, `v:${latest}`)));
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
    return names.flatMap(
      (name, i) => versionOf(name, Number(latest[i]), rows[i]?.[1] as string | null) ?? [],
    );
  }

  async versions(name: string): Promise<DefinitionVersion[]> {
    return versionsOf(name, await guard(this.redis.hgetall(this.keys.def(name))));
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
        k.defFailed(name),
        name,
      ),
    );
    if (code !== SCRIPT_DONE.ok) throw scriptError('deleteDefinition', code, name);
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
    if (isRefusal(position)) throw scriptError('postMessage', position, name);
    return position;
  }

  async messages(name: string): Promise<InboxMessage[]> {
    const [ids, all] = await Promise.all([
      guard(this.redis.lrange(this.keys.defInbox(name), 0, -1)),
      guard(this.redis.hgetall(this.keys.defMessages(name))),
    ]);
    // a message whose record cannot be read is not listed: at the head, the dispatcher fails it
    return ids.flatMap((id) => messageOf(all[id]) ?? []);
  }

  async fail(
    name: string,
    id: string,
    error: { code: string; message: string },
    at: number,
  ): Promise<boolean> {
    const k = this.keys;
    const n = await guard(
      this.redis.failMessage(
        k.defInbox(name),
        k.defMessages(name),
        k.defFailed(name),
        id,
        at,
        JSON.stringify({ code: error.code, message: error.message.slice(0, 2000) }),
        FAILED_KEPT,
      ),
    );
    return n === SCRIPT_DONE.ok;
  }

  async failed(name: string): Promise<FailedMessage[]> {
    const rows = await guard(this.redis.lrange(this.keys.defFailed(name), 0, -1));
    return rows.flatMap((row) => {
      const entry = parseObject(row);
      if (!entry || typeof entry.id !== 'string' || !isObject(entry.error)) return [];
      const message = messageOf(typeof entry.message === 'string' ? entry.message : null);
      return [
        {
          id: entry.id,
          params: message?.params ?? null,
          postedAt: message?.postedAt ?? null,
          failedAt: Number(entry.failedAt),
          error: { code: String(entry.error.code), message: String(entry.error.message) },
        },
      ];
    });
  }

  async withdraw(name: string, id: string): Promise<boolean> {
    const n = await guard(
      this.redis.withdrawMessage(this.keys.defInbox(name), this.keys.defMessages(name), id),
    );
    return n === SCRIPT_DONE.ok;
  }

  async head(name: string): Promise<{ message: InboxHead | null; running: number; max: number }> {
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
    const message = messageOf(text);
    const head: InboxHead | null =
      id === null
        ? null
        : (message ?? {
            id,
            corrupt: `its record ${text === null ? 'is missing' : 'cannot be read'}`,
          });
    return { message: head, running: Number(running), max: Number(max ?? 0) };
  }

  async withMessages(): Promise<string[]> {
    const names = await guard(this.redis.smembers(this.keys.defs()));
    const rows = await execReads(this.redis, this.keys.defs(), (pipe) => {
      for (const n of names) pipe.llen(this.keys.defInbox(n));
    });
    return names.filter((_, i) => Number(rows[i]?.[1] ?? 0) > 0);
  }
}
