/**
 * The benchmark's worker process: one real jobtree Agent (the compiled
 * code `jobtree agent` runs) plus a `mark` job type whose result is the
 * monotonic time at which its run() returned (for the latency scenario).
 * Started by bench.ts with: <redisUrl> <prefix> <concurrency> <dataDir> <node> ['module'],
 * the last to load the module job type bench-noop (flat_module) from its type directory.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import type { JobType } from '../src/node-agent/job-types/job-type.js';
import { Agent, loadConfig, serveApi, ShardedStore } from './dist.js';

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * CPU time of this process's children from /proc, in µs: the live ones (the
 * module types' worker processes) and the ended ones it reaped (the shell
 * jobs' supervisors, with their jobs). process.cpuUsage() counts neither.
 */
function childrenCpuUs(): number {
  // fields after the command's closing paren: state(3) ppid ... utime(14) stime(15) cutime(16) cstime(17), in 1/100 s
  const fields = (pid: string): string[] => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  };
  const self = fields('self');
  let us = (Number(self[13]) + Number(self[14])) * 10_000;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const f = fields(entry);
      if (Number(f[1]) === process.pid) us += (Number(f[11]) + Number(f[12])) * 10_000;
    } catch {
      // gone meanwhile
    }
  }
  return us;
}

/** A trivial module job type, loaded from the agent's type directory into a worker process. */
const BENCH_NOOP = 'export default { name: "bench-noop", async run() { return {}; } };\n';

async function main(): Promise<void> {
  const [redisUrl = '', prefix = '', concurrency = '1', dataDir = '', node = 'bench', module = ''] =
    process.argv.slice(2);
  const config = loadConfig({
    env: {
      JOBTREE_NODE: node,
      JOBTREE_PORT: '0',
      JOBTREE_DATA_DIR: dataDir,
      JOBTREE_CONCURRENCY: concurrency,
      JOBTREE_REDIS_PREFIX: prefix,
      JOBTREE_LOG_LEVEL: 'warn',
      // the bench's archive on/off rows (SPEC §19) set it for the agents they start
      ...(process.env.JOBTREE_LOGS_ARCHIVE_ENABLED
        ? { JOBTREE_LOGS_ARCHIVE_ENABLED: process.env.JOBTREE_LOGS_ARCHIVE_ENABLED }
        : {}),
    },
  });
  if (module === 'module') {
    mkdirSync(join(dataDir, 'job-types'), { recursive: true });
    writeFileSync(join(dataDir, 'job-types', 'bench-noop.mjs'), BENCH_NOOP);
  }
  const store = new ShardedStore(redisUrl, prefix);
  const agent = new Agent({
    config,
    store,
    logger: pino({ level: 'warn' }),
    api: serveApi,
    env: process.env,
  });
  const mark: JobType = {
    name: 'mark',
    paramsSchema: { type: 'object' },
    async run() {
      return { result: { t: nowMs() } };
    },
  };
  // writes `lines` lines `ms` apart, each carrying the monotonic time it was written at
  const talk: JobType<{ lines: number; ms: number }> = {
    name: 'talk',
    paramsSchema: { type: 'object' },
    async run(ctx) {
      for (let i = 0; i < ctx.params.lines; i++) {
        ctx.log(`t=${nowMs()}`);
        await new Promise((r) => setTimeout(r, ctx.params.ms));
      }
      return {};
    },
  };
  // one line of output, as most jobs of a flat run say something (SPEC §19's archive figures)
  const say: JobType = {
    name: 'say',
    paramsSchema: { type: 'object' },
    async run(ctx) {
      ctx.log(`hello from ${ctx.title}`, 'stdout');
      return {};
    },
  };
  // writes `mb` MiB of log in 64 KiB batches of lines (`word`: the text of each line)
  const blast: JobType<{ mb: number; word?: string }> = {
    name: 'blast',
    paramsSchema: { type: 'object' },
    async run(ctx) {
      const line = (ctx.params.word ?? 'x').repeat(99).slice(0, 99);
      const batch = Array.from({ length: 512 }, () => line).join('\n');
      const batches = Math.ceil((ctx.params.mb * 1024 * 1024) / (512 * 129));
      for (let i = 0; i < batches; i++) {
        ctx.log(batch);
        if (i % 16 === 15) await new Promise((r) => setImmediate(r));
      }
      return {};
    },
  };
  agent.types.register(mark);
  agent.types.register(say);
  agent.types.register(talk as unknown as JobType);
  agent.types.register(blast as unknown as JobType);
  // A root's end as the agent learns it from Redis (the peer's worker reports its
  // 'completed' event the same way): flat, tree and chain stop their clocks on it.
  agent.on('job:end', (e) => {
    if (e.parent === null) process.send?.({ type: 'ended', id: e.id, state: e.state, t: nowMs() });
  });
  await agent.start();
  process.send?.({ type: 'ready', url: agent.url });
  process.on('message', (msg: { type: string }) => {
    // CPU time of the whole process (every thread: main, log writer, V8's compiler and GC helpers)
    if (msg.type === 'cpu') {
      const u = process.cpuUsage();
      process.send?.({
        type: 'cpu',
        us: u.user + u.system + childrenCpuUs(),
      });
    }
    if (msg.type === 'stop') {
      const u = process.resourceUsage();
      process.send?.({
        type: 'usage',
        user_s: u.userCPUTime / 1e6,
        sys_s: u.systemCPUTime / 1e6,
        max_rss_mb: u.maxRSS / 1024,
      });
      void agent
        .stop()
        .then(() => store.close())
        .then(() => process.exit(0));
    }
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
