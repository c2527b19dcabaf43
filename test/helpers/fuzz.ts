/**
 * Malformed requests for the fuzz test, from a seeded generator so that a
 * failure can be replayed (FUZZ_SEED). Each request is invalid by
 * construction (a valid tree with one breaking change, a bad id, a bad
 * query value, not JSON at all), so any answer but a 4xx is a bug.
 */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

type Random = () => number;
type Json = Record<string, unknown>;

/** A small seeded PRNG (mulberry32): same seed, same requests. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;

function junkString(random: Random): string {
  const alphabets = ['abc', '../', '%00', '\u0000', 'é✓😀', '{}[]"\\', ' \t\n', '|:*?'];
  let s = '';
  const n = 1 + Math.floor(random() * 40);
  for (let i = 0; i < n; i++) s += pick(random, alphabets);
  return random() < 0.05 ? s.repeat(500) : s;
}

function junkValue(random: Random): unknown {
  return pick(random, [
    () => null,
    () => Math.floor(random() * 1e9) - 5e8,
    () => random() < 0.5,
    () => [junkString(random)],
    () => ({ [junkString(random)]: junkString(random) }),
    () => junkString(random),
  ])();
}

function validTree(random: Random): Json {
  const n = Math.floor(random() * 5);
  return {
    tags: { app: 'fuzz' },
    job: {
      title: `fuzz ${junkString(random)}`,
      type: 'noop',
      node: 'elsewhere',
      children: Array.from({ length: n }, (_, i) => ({
        title: `child ${i}`,
        type: 'sleep',
        params: { ms: 10 },
      })),
    },
  };
}

/** One change that makes a valid tree invalid. */
const BREAKERS: Array<(t: Json, random: Random) => unknown> = [
  (t) => ({ ...t, job: undefined }),
  (t) => (delete (t.job as Json).title, t),
  (t) => (delete (t.job as Json).type, t),
  (t, r) => (((t.job as Json).type = pick(r, [7, null, [], {}, '', `nosuch-${junkString(r)}`])), t),
  (t, r) => (((t.job as Json).title = pick(r, ['', 42, null, 'x'.repeat(201)])), t),
  (t, r) => (((t.job as Json).params = pick(r, ['str', 12, [1, 2], null])), t),
  (t, r) => (((t.job as Json).children = pick(r, ['none', 3, { a: 1 }])), t),
  (t, r) => (((t.job as Json).children = [junkValue(r)]), t),
  (t, r) => (((t.job as Json)[`x${junkString(r)}`] = junkValue(r)), t),
  (t, r) => (((t.job as Json).node = pick(r, ['', '../etc', 'a b', 'x'.repeat(100), 5])), t),
  (t, r) => ((t.tags = pick(r, [{ UPPER: 'x' }, { ok: 5 }, { ok: '' }, 'tags', []])), t),
  (t) => ((t.tags = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))), t),
  (t, r) => (((t.job as Json).timeoutMs = pick(r, [-1, 'soon', 1.5, null])), t),
  (t, r) => ((t.context = pick(r, ['ctx', 3, [1]])), t),
  (t, r) => ((t[`extra${junkString(r)}`] = 1), t),
  (t) => (
    ((t.job as Json).children = [
      { title: 'a', type: 'noop', key: 'same' },
      { title: 'b', type: 'noop', key: 'same' },
    ]),
    t
  ),
  (t, r) => (
    ((t.job as Json).children = [{ title: 's', type: 'sleep', params: { ms: junkString(r) } }]),
    t
  ),
  (_t, r) => pick(r, [null, 5, 'tree', [1, 2], true]),
];

function badId(random: Random): string {
  return pick(random, [
    () => crypto.randomUUID(), // well formed, unknown
    () => encodeURIComponent(`../../${junkString(random)}`),
    () => encodeURIComponent(junkString(random)),
    () => '..%2F..%2Fetc%2Fpasswd',
    () => crypto.randomUUID().toUpperCase().replace(/-/g, ''),
    () => 'x'.repeat(1 + Math.floor(random() * 3000)),
  ])();
}

const BAD_QUERIES = [
  'tag=nocolon',
  'tag=BAD:x',
  'tag=:v',
  'tag=k:',
  'state=BOGUS',
  'state=queued',
  'limit=-1',
  'limit=0',
  'limit=abc',
  'limit=1e9',
  'cursor=junk',
  `cursor=1:${'z'.repeat(36)}`,
  'limit=5&limit=6',
];

export function fuzzRequests(random: Random, count: number): FuzzRequest[] {
  const json = { 'content-type': 'application/json' };
  const makers: Array<() => FuzzRequest> = [
    () => {
      const broken = pick(random, BREAKERS)(validTree(random), random);
      return { method: 'POST', path: '/api/v1/trees', headers: json, body: JSON.stringify(broken) };
    },
    () => {
      const text = JSON.stringify(validTree(random));
      const cut = text.slice(0, Math.floor(random() * (text.length - 1)));
      return { method: 'POST', path: '/api/v1/trees', headers: json, body: cut || '{' };
    },
    () => ({ method: 'POST', path: '/api/v1/trees', headers: json, body: junkString(random) }),
    () => ({
      method: 'GET',
      path: `/api/v1/trees?${pick(random, BAD_QUERIES)}&${random() < 0.5 ? 'tag=app:fuzz' : 'limit=5'}`,
      headers: {},
    }),
    () => ({
      method: 'POST',
      path: `/api/v1/trees?wait=${pick(random, ['yes', '1', 'TRUE'])}`,
      headers: json,
      body: JSON.stringify(validTree(random)),
    }),
    () => ({ method: 'GET', path: `/api/v1/trees/${badId(random)}`, headers: {} }),
    () => ({ method: 'POST', path: `/api/v1/trees/${badId(random)}/abort`, headers: {} }),
    () => ({ method: 'GET', path: `/api/v1/jobs/${badId(random)}`, headers: {} }),
    () => ({ method: 'POST', path: `/api/v1/jobs/${badId(random)}/abort`, headers: {} }),
    () => ({
      method: 'GET',
      path: `/api/v1/jobs/${badId(random)}/log?offset=${pick(random, ['abc', '-x', '1e99', '0'])}`,
      headers: {},
    }),
    () => ({
      method: 'POST',
      path: `/api/v1/jobs/${badId(random)}/children`,
      headers: json,
      body: JSON.stringify(
        random() < 0.5 ? { jobs: [{ title: 'g', type: 'noop' }] } : junkValue(random),
      ),
    }),
    () => ({
      method: pick(random, ['DELETE', 'PUT', 'PATCH']),
      path: '/api/v1/trees',
      headers: {},
    }),
    () => ({
      method: 'GET',
      path: `/api/v1/${encodeURIComponent(junkString(random))}`,
      headers: {},
    }),
  ];
  return Array.from({ length: count }, () => pick(random, makers)());
}
