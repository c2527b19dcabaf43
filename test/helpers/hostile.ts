/**
 * Generators of hostile requests and socket events for the property-based
 * suite of SPEC §18 (fast-check): every write route of the access table
 * and some reads, with every role and no token, ids and names that exist
 * and that do not (or are no ids at all), valid bodies, valid bodies with
 * one field replaced by any JSON, any JSON, text, bodies of the wrong type,
 * foreign Hosts and Origins. The fixtures name what exists.
 */
import fc from 'fast-check';
import { ROUTE_ACCESS } from '../../src/access/roles.js';

/** What exists when the suite runs, and what each role presents. */
export interface HostileFixtures {
  host: string;
  tokens: Record<'read' | 'run' | 'admin', string>;
  /** A tree to abort, pause, resume and graft into, and its jobs. */
  root: string;
  jobs: string[];
  /** A definition at its limit (its run waits on a drained node): runs are BUSY, messages wait. */
  definition: string;
  messages: string[];
  pool: string;
}

export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What the agent may answer: any 4xx, a 2xx, or a documented 503. */
  route: string;
}

/** Any JSON value, small. */
const json = fc.jsonValue({ maxDepth: 4 });
const junk = fc.string({ unit: 'binary', maxLength: 40 });

const VALID_BODIES: Record<string, unknown[]> = {
  'POST /api/v1/trees': [
    { job: { title: 't', type: 'noop' } },
    {
      tags: { app: 'fuzz' },
      job: {
        title: 'p',
        type: 'noop',
        children: [{ title: 'c', type: 'sleep', params: { ms: 5 } }],
      },
    },
    { job: { title: 's', type: 'shell', node: '*', params: { command: 'true' } } },
  ],
  'POST /api/v1/jobs/:id/children': [{ jobs: [{ title: 'g', type: 'noop' }] }],
  'PUT /api/v1/pools/:name': [{ slots: 2 }, { slots: 0, description: 'd' }],
  'PUT /api/v1/definitions/:name': [
    {
      params: { type: 'object', properties: { v: { type: 'string' } } },
      tree: { job: { title: '${params.v}', type: 'noop' } },
    },
  ],
  'POST /api/v1/definitions/:name/runs': [
    { params: {} },
    { params: {}, queue: true },
    { params: { v: 'x' }, tags: { a: 'b' } },
  ],
  'POST /api/v1/definitions/:name/messages': [{}, { v: 'x' }],
};

/** A body with one field (at any depth) replaced by any JSON. */
function mutated(body: unknown, value: unknown, pick: number): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  const paths: Array<[Record<string, unknown>, string]> = [];
  const walk = (o: unknown): void => {
    if (!o || typeof o !== 'object') return;
    for (const [k, v] of Object.entries(o)) {
      paths.push([o as Record<string, unknown>, k]);
      walk(v);
    }
  };
  walk(copy);
  const at = paths[pick % Math.max(1, paths.length)];
  if (at) at[0][at[1]] = value;
  return copy;
}

function bodyFor(route: string): fc.Arbitrary<string | undefined> {
  const valid = VALID_BODIES[route] ?? [];
  const options: Array<fc.Arbitrary<string | undefined>> = [
    fc.constant(undefined),
    json.map((v) => JSON.stringify(v)),
    junk,
    fc.constant('{"job":'), // cut short
    fc.constant(`${'['.repeat(2000)}${']'.repeat(2000)}`), // deeper than any body may nest
  ];
  if (valid.length > 0) {
    options.push(fc.constantFrom(...valid).map((v) => JSON.stringify(v)));
    options.push(
      fc
        .tuple(fc.constantFrom(...valid), json, fc.nat())
        .map(([b, v, n]) => JSON.stringify(mutated(b, v, n))),
    );
  }
  if (route === 'PUT /api/v1/job-types/:name')
    options.push(
      fc.constantFrom('export default {', 'throw new Error("at import")', 'export default 5;'),
    );
  return fc.oneof(...options);
}

/** The value of a path parameter: what exists, what does not, and what is no id or name. */
function param(name: string, route: string, f: HostileFixtures): fc.Arbitrary<string> {
  const junkText = junk.map((s) => encodeURIComponent(s) || 'x');
  if (name === 'root')
    return fc.oneof(fc.constant(f.root), fc.uuid(), junkText, fc.constant(f.root.toUpperCase()));
  if (name === 'id') {
    const ids = route.includes('/messages/') ? f.messages : f.jobs;
    return fc.oneof(
      fc.constantFrom(...ids),
      fc.uuid(),
      junkText,
      fc.constant('..%2F..%2Fetc%2Fpasswd'),
    );
  }
  // the node: drain it again, never undrain it (a node that claims would write on its own)
  if (name === 'node')
    return route.endsWith('/undrain')
      ? fc.oneof(fc.constant('ghost'), junkText)
      : fc.oneof(fc.constant('n1'), junkText);
  if (route.includes('/definitions/:name/runs') || route.includes('/definitions/:name/messages'))
    return fc.oneof(fc.constant(f.definition), fc.constant('ghost-def'), junkText);
  if (route.includes('/pools/'))
    return fc.oneof(fc.constant(f.pool), fc.constant('other-pool'), junkText);
  // definitions and types to put or delete: never the definition at its limit
  return fc.oneof(fc.constant('other'), junkText, fc.constant('x'.repeat(300)));
}

/** `value` `weight` times out of the total (fast-check's weighted oneof, for constants). */
const weighted = <T>(...options: Array<[number, T]>): fc.Arbitrary<T> =>
  fc.oneof(...options.map(([weight, v]) => ({ weight, arbitrary: fc.constant(v) })));

/** Which token a request carries: mostly one that passes the doors, so bodies are checked too. */
const role = weighted<'none' | 'bad' | 'read' | 'run' | 'admin'>(
  [1, 'none'],
  [1, 'bad'],
  [1, 'read'],
  [2, 'run'],
  [6, 'admin'],
);

const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/javascript',
  'application/json; charset=utf-16',
];

/** A hostile request to one of the API's routes (writes mostly). */
export function hostileRequest(f: HostileFixtures): fc.Arbitrary<HostileRequest> {
  const routes = Object.keys(ROUTE_ACCESS);
  const writes = routes.filter((r) => !r.startsWith('GET'));
  return fc
    .oneof(
      { weight: 5, arbitrary: fc.constantFrom(...writes) },
      { weight: 1, arbitrary: fc.constantFrom(...routes) },
    )
    .chain((route) => {
      const [method = 'GET', pattern = ''] = route.split(' ');
      const names = [...pattern.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
      return fc.record({
        route: fc.constant(route),
        method: fc.constant(method),
        params: fc.tuple(...names.map((n) => param(n, route, f))),
        body: method === 'GET' ? fc.constant(undefined) : bodyFor(route),
        type: fc.constantFrom(...CONTENT_TYPES),
        who: role,
        // a wait, if any, ends at once: nothing runs on the drained node
        query: fc.constantFrom(
          '',
          '',
          '?wait=true&timeout=0',
          '?handlers=maybe',
          '?version=0',
          '?state=failed',
          '?admission=reject',
          '?limit=1&limit=2',
        ),
        origin: fc.constantFrom(
          undefined,
          undefined,
          undefined,
          `http://${f.host}`,
          'http://evil.example',
          'null',
        ),
        host: fc.constantFrom(f.host, f.host, f.host, f.host, 'attacker.example'),
      });
    })
    .map((r) => {
      let path = r.route.split(' ')[1] as string;
      const names = [...path.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
      names.forEach((n, i) => (path = path.replace(`:${n}`, r.params[i] as string)));
      const headers: Record<string, string> = { host: r.host };
      if (r.body !== undefined)
        headers['content-type'] =
          r.route.startsWith('PUT /api/v1/job-types') && r.type === 'application/json'
            ? 'application/javascript'
            : r.type;
      if (r.origin !== undefined) headers.origin = r.origin;
      if (r.who === 'bad') headers.authorization = 'Bearer not-a-token-of-this-cluster';
      else if (r.who !== 'none')
        headers.authorization = `Bearer ${f.tokens[r.who as 'read' | 'run' | 'admin']}`;
      return {
        route: r.route,
        method: r.method,
        path: `${path}${r.query}`,
        headers,
        ...(r.body !== undefined ? { body: r.body } : {}),
      };
    });
}

/** A socket event: one a client may send, or any name, with any payload. */
export function hostileEvent(
  f: HostileFixtures,
): fc.Arbitrary<{ event: string; payload: unknown }> {
  const target = fc.oneof(fc.constantFrom(f.root, ...f.jobs), fc.uuid(), junk, json);
  const payload = fc.oneof(
    fc.record(
      {
        job: target,
        offset: fc.oneof(fc.integer(), fc.constant(-100), json),
        sub: fc.oneof(junk, fc.constant(undefined)),
      },
      { requiredKeys: [] },
    ),
    fc.record({ root: target }, { requiredKeys: [] }),
    json,
    fc.constant(undefined),
  );
  return fc.record({
    event: fc.constantFrom(
      'log:subscribe',
      'log:subscribe',
      'log:unsubscribe',
      'status:subscribe',
      'status:unsubscribe',
      'no:such',
    ),
    payload,
  });
}
