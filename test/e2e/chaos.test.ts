/**
 * The chaos soak of SPEC §9 (bounded: CHAOS_MS of chaos, default 40 s, then
 * at most 60 s to settle). Trees are submitted to three real agents while,
 * at random, an agent is killed with SIGKILL and restarted and Redis (AOF)
 * is stopped and started again. Afterwards: every tree is finished, no job
 * is left unfinished, no job started twice (counted from the lines the jobs
 * themselves append), and every tree's final states obey §4.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TreeSummary } from '../../src/shared/types.js';
import { spawnAgent, tempDir, type AgentProcess } from '../helpers/agents.js';
import { finalTreeViolations } from '../helpers/invariants.js';
import { mulberry32 } from '../helpers/fuzz.js';
import { destroyRedis, freePort, startRedis } from '../helpers/redis.js';
import { makeStore } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

const CHAOS_MS = Number(process.env.CHAOS_MS ?? 40000);
const NODES = ['a', 'b', 'c'] as const;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('e2e: chaos soak (§9)', function () {
  this.timeout(CHAOS_MS + 90000);

  it('settles every tree correctly while agents and Redis die at random', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 2 ** 31);
    const random = mulberry32(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const redis = track(await startRedis({ aof: true }), destroyRedis);
    const prefix = 'chaos';
    const starts = join(tempDir(), 'starts');
    const env = {
      JOBTREE_CONCURRENCY: '4',
      JOBTREE_HEARTBEAT_TTL_MS: '1500',
      JOBTREE_SHUTDOWN_GRACE_MS: '500',
      JOBTREE_LOG_LEVEL: 'warn',
    };
    const agents = new Map<string, AgentProcess>();
    // each node keeps its port and data dir across restarts, as a real one would
    const homes = new Map<string, { port: number; dataDir: string }>();
    for (const node of NODES) homes.set(node, { port: await freePort(), dataDir: tempDir() });
    const launch = async (node: string, waitReady: boolean) => {
      const home = homes.get(node) as { port: number; dataDir: string };
      agents.set(
        node,
        await spawnAgent({ node, redisUrl: redis.url, prefix, env, waitReady, ...home }),
      );
    };
    for (const node of NODES) await launch(node, true);

    const counts = { submitted: 0, refused: 0, agentKills: 0, redisRestarts: 0 };
    let stopping = false;
    const job = (depth: number): Record<string, unknown> => {
      const fails = random() < 0.03;
      return {
        title: fails ? 'fails' : 'works',
        type: 'shell',
        node: pick([...NODES, '*']),
        params: {
          command: `echo "$JOBTREE_JOB_ID" >> ${starts}; sleep ${(random() * 0.15).toFixed(3)}${fails ? '; exit 1' : ''}`,
        },
        ...(depth < 3 && random() < 0.5
          ? { children: Array.from({ length: 1 + Math.floor(random() * 3) }, () => job(depth + 1)) }
          : {}),
      };
    };
    const submitter = (async () => {
      while (!stopping) {
        const agent = agents.get(pick(NODES));
        const res = await fetch(`${agent?.url}/api/v1/trees`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ tags: { soak: 'yes' }, job: job(1) }),
        }).catch(() => null);
        if (res?.status === 201) counts.submitted++;
        else counts.refused++; // 503 while Redis is down, or the agent was being killed
        await res?.arrayBuffer();
        await pause(100 + random() * 150);
      }
    })();
    const chaos = (async () => {
      const until = Date.now() + CHAOS_MS;
      while (Date.now() < until) {
        await pause(1000 + random() * 2000);
        if (random() < 0.3) {
          await redis.stop();
          counts.redisRestarts++;
          await pause(300 + random() * 2000);
          await redis.restart();
        } else {
          const node = pick(NODES);
          await agents.get(node)?.kill9();
          counts.agentKills++;
          await pause(200 + random() * 2500);
          await launch(node, false);
        }
      }
    })();
    await chaos;
    stopping = true;
    await submitter;

    const store = makeStore(redis.url, prefix);
    const soak = async (): Promise<TreeSummary[]> => {
      const out: TreeSummary[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listTrees({
          tags: [['soak', 'yes']],
          limit: 200,
          ...(cursor ? { cursor } : {}),
        });
        out.push(...page.trees);
        cursor = page.next ?? undefined;
      } while (cursor);
      return out;
    };
    await waitFor(async () => (await soak()).every((t) => t.state !== 'RUNNING'), {
      timeoutMs: 60000,
      intervalMs: 500,
      what: 'every tree to finish',
    });

    const trees = await soak();
    const started = existsSync(starts)
      ? readFileSync(starts, 'utf8').split('\n').filter(Boolean)
      : [];
    const runs = new Map<string, number>();
    for (const id of started) runs.set(id, (runs.get(id) ?? 0) + 1);
    let jobs = 0;
    const violations: string[] = [];
    const states: Record<string, number> = {};
    for (const summary of trees) {
      const tree = await store.getTree(summary.root);
      violations.push(...finalTreeViolations(tree));
      const walk = (j: typeof tree.job): void => {
        jobs++;
        states[j.state] = (states[j.state] ?? 0) + 1;
        if (j.state === 'SUCCESS' && runs.get(j.id) !== 1)
          violations.push(`${j.id} succeeded but started ${runs.get(j.id) ?? 0} times`);
        j.children.forEach(walk);
      };
      walk(tree.job);
    }
    const twice = [...runs].filter(([, n]) => n > 1);
    console.log(
      `      chaos seed ${seed}: ${trees.length} trees, ${jobs} jobs ${JSON.stringify(states)}, ` +
        `${started.length} starts, ${counts.agentKills} agent kills and restarts, ` +
        `${counts.redisRestarts} Redis restarts, ${counts.refused} submissions refused`,
    );
    for (const [id] of twice) {
      const lines = [...agents.values()].flatMap((a) =>
        a
          .output()
          .split('\n')
          .filter((l) => l.includes(id))
          .map((l) => `${a.node}: ${l}`),
      );
      console.log(JSON.stringify(await store.getJob(id)), lines.join('\n'));
    }
    expect(trees.length).to.be.at.least(counts.submitted);
    expect(twice, 'jobs started twice').to.deep.equal([]);
    expect(violations).to.deep.equal([]);
    expect(states.SUCCESS ?? 0).to.be.above(0);
  });
});
