/**
 * Each script pastes only the includes it names (load-scripts.ts), so a
 * helper it calls but does not include would fail only when that line
 * runs. This reads every expanded script: each name an include defines at
 * its top level that the script uses must be defined in it, before it is
 * used, and each script includes no concern it does not use.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { Keys } from '../../src/store/keys.js';
import { readScripts } from '../../src/store/load-scripts.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { destroyRedis, startRedis } from '../helpers/redis.js';
import { makeStore } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';
import { track } from '../helpers/track.js';

const INCLUDES = join(dirname(fileURLToPath(import.meta.url)), '../../src/store/scripts/includes');

/** The code of a Lua text without comments and string literals. */
function codeOf(lua: string): string {
  return lua
    .replace(/--\[\[[\s\S]*?\]\]/g, '')
    .replace(/--[^\n]*/g, '')
    .replace(/'(?:[^'\\\n]|\\.)*'/g, "''")
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
}

/** The names a text defines at its top level (local functions and locals). */
function definedIn(code: string): Map<string, number> {
  const names = new Map<string, number>();
  const re = /^local (?:function )?([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_]\w*)*)/gm;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    for (const name of (m[1] as string).split(',')) {
      if (!names.has(name.trim())) names.set(name.trim(), m.index);
    }
  }
  return names;
}

const includes = readdirSync(INCLUDES)
  .filter((f) => f.endsWith('.lua'))
  .map((f) => ({
    name: f.replace(/\.lua$/, ''),
    code: codeOf(readFileSync(join(INCLUDES, f), 'utf8')),
  }));

/** Every name any include defines, with the include that defines it. */
const helpers = new Map<string, string>();
for (const inc of includes)
  for (const name of definedIn(inc.code).keys()) helpers.set(name, inc.name);

describe('store: the Lua includes', () => {
  const scripts = readScripts();

  it('define every helper a script uses, before its first use', () => {
    const missing: string[] = [];
    for (const s of scripts) {
      const code = codeOf(s.lua);
      const defined = definedIn(code);
      for (const [name, from] of helpers) {
        const use = new RegExp(`(?<![\\w.:])${name}(?!\\w)`).exec(code);
        if (!use) continue;
        const at = defined.get(name);
        if (at === undefined || at > use.index) missing.push(`${s.name}: ${name} (${from}.lua)`);
      }
    }
    expect(missing).to.deep.equal([]);
  });

  it('name every key as src/store/keys.ts does', async () => {
    const redis = track(new Redis(testRedisUrl()), (r) => r.disconnect());
    const k = new Keys('pfx');
    const pairs: Array<[string, string]> = [
      ['treeKey("R")', k.tree('R')],
      ['ctxKey("R")', k.ctx('R')],
      ['activeKey("R")', k.active('R')],
      ['jobKey("R", "J")', k.job('R', 'J')],
      ['logsKey("R")', k.logs('R')],
      ['logNodesKey("R")', k.logNodes('R')],
      ['queueKey("n")', k.queue('n')],
      ['runningKey("n")', k.running('n')],
      ['signalsKey("n")', k.signals('n')],
      ['delayedKey()', k.delayed()],
      ['treesKey()', k.trees()],
      ['stateKey("FAILED")', k.treeState('FAILED')],
      ['tagKey("app", "shop")', k.tag('app', 'shop')],
      ['finishedKey()', k.finished()],
      ['abortingKey()', k.aborting()],
      ['storingKey()', k.storing()],
      ['jobRootKey()', k.jobRoot()],
      ['nodesKey()', k.nodes()],
      ['nodeKey("n")', k.node('n')],
      ['aliveKey("n")', k.alive('n')],
      ['poolsKey()', k.pools()],
      ['poolKey("p")', k.pool('p')],
      ['poolWaitKey("p")', k.poolWaiting('p')],
      ['defKey("d")', k.def('d')],
      ['defRunningKey("d")', k.defRunning('d')],
      ['statusChannel()', k.statusChannel()],
      ['pausedChannel()', k.pausedChannel()],
      ['wakeChannel("n")', k.wakeChannel('n')],
      ['signalChannel("n")', k.signalChannel('n')],
      ['defsWakeChannel()', k.defsWakeChannel()],
    ];
    const lua = readFileSync(join(INCLUDES, 'keys.lua'), 'utf8');
    const names = (await redis.eval(
      `${lua}\nreturn { ${pairs.map(([call]) => call).join(', ')} }`,
      0,
      'pfx',
    )) as string[];
    expect(names).to.deep.equal(pairs.map(([, name]) => name));
  });

  it('are loaded into a server as soon as a store connects to it, before any is called', async () => {
    const server = track(await startRedis(), destroyRedis);
    const store = makeStore(server.url);
    await store.ping();
    const redis = track(new Redis(server.url), (r) => r.disconnect());
    const shas = scripts.map((s) => createHash('sha1').update(s.lua).digest('hex'));
    await waitFor(
      async () => ((await redis.script('EXISTS', ...shas)) as number[]).every(Boolean),
      {
        what: 'every script loaded',
      },
    );
  });

  it('make scripts that Redis compiles, each of them', async () => {
    const redis = track(new Redis(testRedisUrl()), (r) => r.disconnect());
    const refused: string[] = [];
    for (const s of scripts) {
      await redis
        .script('LOAD', s.lua)
        .catch((e: Error) => refused.push(`${s.name}: ${e.message}`));
    }
    expect(refused).to.deep.equal([]);
  });

  it('are pasted only where used: a script that needs no claim carries none', () => {
    const sizes = new Map(scripts.map((s) => [s.name, s.lua.length]));
    // the smallest scripts of a concern do not carry the claim's code
    for (const name of ['setDrain', 'holdLease', 'pauseTree', 'promoteDue', 'deletePool']) {
      const lua = scripts.find((s) => s.name === name)?.lua ?? '';
      expect(lua, name).not.to.include('local function claimOne');
    }
    expect(sizes.get('claimJobs')).to.be.greaterThan(sizes.get('promoteDue') ?? Infinity);
  });
});
