/**
 * The attacks of issue 25 that a caller with a token may make to wear an
 * agent down (SPEC §18), and a watcher of its health and heartbeat while
 * they run. Shared by test/e2e/attacks.test.ts, which asserts what each
 * attack gets and that the agent stays alive, and the `attacks` scenario
 * of `npm run bench`, which measures how fast health answers meanwhile.
 * Closes everything it opens itself (the bench has no test hooks).
 */
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { definitionFixture } from './fixtures.js';
import { http, type HttpAnswer } from './http.js';

export interface Target {
  url: string;
  /** Headers of an admin (its token, when the agent has one). */
  admin: Record<string, string>;
  /** A token that may read, for the socket attack. */
  readToken?: string;
}

type Api = (method: string, path: string, body?: unknown) => Promise<HttpAnswer>;

/** What one attack got from the agent. */
export type AttackAnswer = Record<string, unknown>;

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The attacks, by name: each answers what it got. */
export const ATTACKS: Record<string, (api: Api, t: Target) => Promise<AttackAnswer>> = {
  /** 235 bytes asking for 10^8 items (SPEC §18: specimens are small). */
  async specimen(api) {
    const def = definitionFixture('huge-specimen'); // 235 bytes asking for 10^8 items
    return { status: (await api('PUT', '/api/v1/definitions/huge', def)).status };
  },
  /** A 2,000 × 2,000 expansion, run and posted as a 16 KB message. */
  async expansion(api) {
    await api('PUT', '/api/v1/definitions/square', definitionFixture('square'));
    const hosts = Array.from({ length: 2000 }, (_, i) => `host-${i}`);
    const run = await api('POST', '/api/v1/definitions/square/runs', { params: { hosts } });
    const message = await api('POST', '/api/v1/definitions/square/messages', { hosts });
    let failed: Array<{ error: { code: string } }> = [];
    await until(async () => {
      failed = (await api('GET', '/api/v1/definitions/square/messages?state=failed')).body.messages;
      return failed.length > 0;
    }, 'the message to fail');
    return {
      run: run.status,
      runCode: run.body.error?.code,
      message: message.status,
      failedCode: failed[0]?.error.code,
    };
  },
  /** `^(a+)+$` against 50,000 characters and a `!`. */
  async pattern(api) {
    const def = {
      params: { type: 'object', properties: { v: { type: 'string', pattern: '^(a+)+$' } } },
      tree: { job: { title: 't', type: 'noop' } },
    };
    await api('PUT', '/api/v1/definitions/regex', def);
    const run = await api('POST', '/api/v1/definitions/regex/runs', {
      params: { v: `${'a'.repeat(50_000)}!` },
    });
    return { status: run.status, path: run.body.error?.path };
  },
  /** 100,000 log subscriptions on one read-only socket. */
  async subscriptions(api, t) {
    const long = await api('POST', '/api/v1/trees', {
      job: { title: 'long', type: 'sleep', params: { ms: 120_000 } },
    });
    const socket = io(t.url, {
      transports: ['websocket'],
      reconnection: false,
      auth: t.readToken ? { token: t.readToken } : {},
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      let refused = 0;
      socket.on('log:error', () => (refused += 1));
      const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      for (let i = 0; i < 100_000; i++)
        socket.emit('log:subscribe', { job: long.body.root, sub: `s${i}` });
      return { closed: await closed, refused };
    } finally {
      socket.close();
      await api('POST', `/api/v1/trees/${long.body.root}/abort`);
    }
  },
  /** Twenty reads at once of a 12,000-job tree (SPEC §18: big reads). */
  async bigReads(api) {
    const leaves = Array.from({ length: 12_000 }, (_, i) => ({
      title: `l${i}`,
      type: 'noop',
      node: 'far',
    }));
    const big = await api('POST', '/api/v1/trees', {
      job: { title: 'big', type: 'noop', node: 'far', children: leaves },
    });
    const reads = await Promise.all(
      Array.from({ length: 20 }, () =>
        api('GET', `/api/v1/trees/${big.body.root}?depth=1&limit=12000`),
      ),
    );
    return {
      ok: reads.filter((r) => r.status === 200).length,
      busy: reads.filter((r) => r.status === 503 && r.body.error.code === 'BUSY').length,
    };
  },
};

/** Per attack: the health probes made while it ran, and what they saw. */
export interface HealthSeen {
  probes: number;
  failed: string[];
  slowestMs: number;
  latencies: number[];
  lapsed: number;
}

/**
 * Asks the agent's health every 100 ms and checks its heartbeat key in
 * Redis, counting by the attack that runs (`phase`), until stopped.
 */
export function watchHealth(url: string, redisUrl: string, aliveKey: string) {
  const redis = new Redis(redisUrl);
  const phases = new Map<string, HealthSeen>();
  const state = { phase: 'idle', running: true };
  const seenOf = (phase: string): HealthSeen => {
    let s = phases.get(phase);
    if (!s)
      phases.set(phase, (s = { probes: 0, failed: [], slowestMs: 0, latencies: [], lapsed: 0 }));
    return s;
  };
  const loop = (async () => {
    while (state.running) {
      const seen = seenOf(state.phase);
      const started = performance.now();
      try {
        const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(5000) });
        if (res.status !== 200) seen.failed.push(`health ${res.status}`);
        await res.arrayBuffer();
      } catch (err) {
        seen.failed.push(`health: ${(err as Error).message}`);
      }
      const ms = performance.now() - started;
      seen.latencies.push(ms);
      seen.slowestMs = Math.max(seen.slowestMs, ms);
      if ((await redis.pttl(aliveKey)) <= 0) seen.lapsed += 1;
      seen.probes += 1;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    phases,
    set phase(name: string) {
      state.phase = name;
    },
    /** Resolves once a probe was made during `name` (a short attack may fit between two). */
    probed: (name: string) =>
      until(async () => (phases.get(name)?.probes ?? 0) > 0, `a probe during ${name}`),
    stop: async () => {
      state.running = false;
      await loop;
      redis.disconnect();
      return phases;
    },
  };
}

/** Runs every attack against `t` while the watcher looks on; answers what each got. */
export async function replayAttacks(
  t: Target,
  watcher: ReturnType<typeof watchHealth>,
): Promise<Record<string, AttackAnswer>> {
  const api: Api = (method, path, body) => http(t.url, method, path, body, t.admin);
  const answers: Record<string, AttackAnswer> = {};
  for (const [name, attack] of Object.entries(ATTACKS)) {
    watcher.phase = name;
    answers[name] = await attack(api, t);
    await watcher.probed(name);
  }
  watcher.phase = 'after';
  return answers;
}
