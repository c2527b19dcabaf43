/**
 * Loads the Lua scripts of ./scripts into an ioredis client as commands
 * (defineCommand, run by EVALSHA). A file `verbNoun-<numKeys>.lua` becomes
 * the command `verbNoun`; a line `--@include name` pastes includes/name.lua
 * (once, even when included again from an include), and the whole runs
 * inside wrapBody. A line `--@readonly` marks a script that writes nothing
 * (its answer needs no replica's confirmation, confirm-writes.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { guardScripts } from './slot-guard.js';

const SCRIPTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'scripts');
const FILE_RE = /^([a-zA-Z]+)-(\d+)\.lua$/;

export interface ScriptSource {
  name: string;
  numberOfKeys: number;
  lua: string;
  readOnly: boolean;
}

/** Pastes includes, which may include others; each at most once per script. */
function expandIncludes(source: string, seen = new Set<string>()): string {
  return source.replace(/^--@include (\w+)$/gm, (_line, name: string) => {
    if (seen.has(name)) return '';
    seen.add(name);
    return expandIncludes(readFileSync(join(SCRIPTS_DIR, 'includes', `${name}.lua`), 'utf8'), seen);
  });
}

/**
 * Runs the script's body as a function, then the hooks it registered in
 * `afterBody`, whichever of its returns it took: tally.lua writes the
 * tree counters it kept in Lua back to Redis that way, once per script.
 */
function wrapBody(body: string): string {
  return [
    'local afterBody = {}',
    'local function body()',
    body,
    'end',
    'local result = body()',
    'for _, hook in ipairs(afterBody) do hook() end',
    'return result',
  ].join('\n');
}

/** Reads every script once; the result is shared by all clients. */
export function readScripts(): ScriptSource[] {
  return readdirSync(SCRIPTS_DIR).flatMap((file) => {
    const m = FILE_RE.exec(file);
    if (!m) return [];
    const source = readFileSync(join(SCRIPTS_DIR, file), 'utf8');
    const lua = wrapBody(expandIncludes(source));
    const readOnly = /^--@readonly$/m.test(source);
    return [{ name: m[1] as string, numberOfKeys: Number(m[2]), lua, readOnly }];
  });
}

let cache: ScriptSource[] | undefined;

/**
 * Defines every script as a command on `client`; answers those that write.
 * With `slotGuard` (a Redis Cluster) each names its slot's guard key too
 * (slot-guard.ts).
 */
export function defineScripts(
  client: Redis,
  options: { slotGuard?: boolean } = {},
): ScriptSource[] {
  cache ??= readScripts();
  const extraKeys = options.slotGuard ? 1 : 0;
  for (const s of cache) {
    client.defineCommand(s.name, {
      numberOfKeys: s.numberOfKeys + extraKeys,
      lua: s.lua,
      readOnly: s.readOnly,
    });
  }
  if (options.slotGuard) guardScripts(client, cache);
  return cache.filter((s) => !s.readOnly);
}

/**
 * Loads every script into the server(s) of `client` each time it is
 * ready (a start, a reconnect, a failover): the first call of each is then
 * never the one that compiles it (SPEC §17: 63 ms for the first staging
 * call of a 100,000-job tree was mostly that). Best effort: a script a
 * server lacks is sent again with its source anyway.
 */
export function preloadScripts(client: Redis, options: { cluster?: boolean } = {}): void {
  cache ??= readScripts();
  const sources = cache;
  const load = (server: Redis) => {
    const pipe = server.pipeline();
    for (const s of sources) pipe.script('LOAD', s.lua);
    void pipe.exec().catch(() => undefined);
  };
  client.on('ready', () => {
    if (!options.cluster) return load(client);
    // a Cluster: each master (ioredis types its nodes as Redis clients)
    const nodes = (client as unknown as { nodes(role: 'master'): Redis[] }).nodes('master');
    for (const node of nodes) load(node);
  });
}
