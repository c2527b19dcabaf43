/**
 * The socket.io log and status streams of SPEC §6, on in-process agents:
 * live following from any offset, relaying from another node, resuming
 * after a dropped connection with every byte exactly once, errors, the
 * status snapshot then newer seq, and the handshake token of SPEC §10.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { logPath } from '../../src/logstream/log-file.js';
import type { Agent } from '../../src/daemon/agent.js';
import { newId } from '../../src/shared/ids.js';
import type { PausedEvent, StatusEvent } from '../../src/shared/types.js';
import { makeAgent } from '../helpers/agents.js';
import { http } from '../helpers/http.js';
import { connect, follow, until } from '../helpers/log-client.js';
import { makeStore } from '../helpers/store.js';

// prints a numbered line every 20 ms, with a multi-byte character in each
const TALKER = 'for i in $(seq 1 40); do echo "line $i: déjà vu ✓"; sleep 0.02; done; echo bye >&2';

function fileOf(agent: Agent, root: string): string {
  return readFileSync(logPath(agent.config.dataDir, root, root), 'utf8');
}

async function submitTalker(agent: Agent, node: string): Promise<string> {
  const res = await http(agent.url, 'POST', '/api/v1/trees', {
    job: { title: 'talker', type: 'shell', node, params: { command: TALKER } },
  });
  return res.body.root as string;
}

describe('logstream: socket.io log streams', function () {
  this.timeout(30000);

  it('follows a running job from the first byte to log:end, in order with no gap (§6)', async () => {
    const store = makeStore();
    const agent = await makeAgent(store, { node: 'a' });
    const root = await submitTalker(agent, 'a');
    const socket = await connect(agent.url);
    const got = follow(socket, root, 0);
    const end = await until(() => got.end, 'log:end');
    expect(got.gaps).to.deep.equal([]);
    expect(got.text).to.equal(fileOf(agent, root));
    expect(end).to.deep.include({ job: root, state: 'SUCCESS', size: Buffer.byteLength(got.text) });
    expect(got.text).to.match(/ stdout line 40: déjà vu ✓\n/);
    expect(got.text).to.match(/ stderr bye\n/);
  });

  it('relays a job log from the node that ran it, and closes the relay when unused (§6)', async () => {
    const store = makeStore();
    const a = await makeAgent(store, { node: 'a' });
    const b = await makeAgent(store, { node: 'b' });
    const root = await submitTalker(a, 'b');
    const socket = await connect(a.url);
    const got = follow(socket, root, 0);
    await until(() => got.text.includes('line 3:'), 'first lines');
    expect(a.logServerConnections).to.equal(1);
    const end = await until(() => got.end, 'log:end');
    expect(got.gaps).to.deep.equal([]);
    expect(got.text).to.equal(fileOf(b, root));
    expect(end.size).to.equal(Buffer.byteLength(got.text));
    await until(() => a.logServerConnections === 0, 'the relay to close');
  });

  it('gives every byte exactly once when a client drops and resubscribes from its last offset', async () => {
    const store = makeStore();
    const a = await makeAgent(store, { node: 'a' });
    const b = await makeAgent(store, { node: 'b' });
    for (const [via, node, owner] of [
      [a, 'a', a],
      [a, 'b', b],
    ] as const) {
      const root = await submitTalker(a, node);
      const first = await connect(via.url);
      const got = follow(first, root, 0);
      await until(() => got.text.includes('line 5:'), 'some lines');
      first.close();
      const resumeAt = got.next;
      const second = await connect(via.url);
      follow(second, root, resumeAt, got);
      await until(() => got.end, `log:end via ${node}`);
      expect(got.gaps).to.deep.equal([]);
      expect(got.text).to.equal(fileOf(owner, root));
    }
  });

  it('starts the last N bytes at a line boundary when the offset is negative', async () => {
    const store = makeStore();
    const agent = await makeAgent(store, { node: 'a' });
    const { body } = await http(agent.url, 'POST', '/api/v1/trees?wait=true', {
      job: { title: 't', type: 'shell', params: { command: 'echo alpha; echo beta' } },
    });
    // a negative offset counts from the end of the file as it is: wait until it is whole
    await until(async () => {
      const r = await http(agent.url, 'GET', `/api/v1/jobs/${body.root}/log?offset=-1`);
      return r.headers.get('x-log-complete') === 'true';
    }, 'a complete log');
    const whole = fileOf(agent, body.root);
    const socket = await connect(agent.url);
    const got = follow(socket, body.root, -20);
    await until(() => got.end, 'log:end');
    expect(whole.endsWith(got.text)).to.equal(true);
    expect(whole[whole.length - got.text.length - 1]).to.equal('\n');
    expect(got.text.length).to.be.at.most(20);
  });

  it('answers unknown jobs with NOT_FOUND and a dead owner with NODE_UNAVAILABLE', async () => {
    const store = makeStore();
    const agent = await makeAgent(store, { node: 'a' });
    const socket = await connect(agent.url);
    const missing = follow(socket, newId(), 0);
    expect((await until(() => missing.error, 'log:error')).code).to.equal('NOT_FOUND');
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'r', type: 'noop', node: 'ghost' },
    });
    const ghost = follow(socket, body.root, 0);
    expect((await until(() => ghost.error, 'log:error')).code).to.equal('NODE_UNAVAILABLE');
  });

  it('sends a tree snapshot, then only events with a higher seq (§6)', async () => {
    const store = makeStore();
    const agent = await makeAgent(store, { node: 'a' });
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: {
        title: 'r',
        type: 'noop',
        children: [{ title: 's', type: 'sleep', params: { ms: 300 } }],
      },
    });
    const socket = await connect(agent.url);
    let snapshot: { seq: number } | null = null;
    const events: StatusEvent[] = [];
    socket.on('tree', (m) => (snapshot = m));
    socket.on('status', (e) => events.push(e));
    socket.emit('status:subscribe', { root: body.root });
    await until(
      () => events.some((e) => e.job === body.root && e.state === 'SUCCESS'),
      'the root to succeed',
    );
    const snap = snapshot as { seq: number } | null;
    expect(snap).not.to.equal(null);
    expect(events.every((e) => e.seq > snap!.seq)).to.equal(true);
    const seqs = events.map((e) => e.seq);
    expect(seqs).to.deep.equal(seqs.map((_, i) => snap!.seq + 1 + i)); // no gap after the snapshot
  });

  it('tells status subscribers of the tree, and of every tree, when it is paused or resumed', async () => {
    const store = makeStore();
    const agent = await makeAgent(store, { node: 'a' });
    const { body } = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 's', type: 'sleep', params: { ms: 30000 } },
    });
    const other = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'o', type: 'sleep', params: { ms: 30000 } },
    });
    const seen = { one: [] as PausedEvent[], all: [] as PausedEvent[], other: [] as PausedEvent[] };
    for (const [name, root] of [
      ['one', body.root],
      ['all', undefined],
      ['other', other.body.root],
    ] as const) {
      const socket = await connect(agent.url);
      socket.on('tree:paused', (e) => seen[name].push(e));
      let subscribed = false;
      socket.on('tree', () => (subscribed = true));
      socket.emit('status:subscribe', root === undefined ? {} : { root });
      if (root !== undefined) await until(() => subscribed, 'the snapshot');
    }
    await http(agent.url, 'POST', `/api/v1/trees/${body.root}/pause`);
    await http(agent.url, 'POST', `/api/v1/trees/${body.root}/resume`);
    await until(() => seen.one.length === 2 && seen.all.length === 2, 'both events');
    expect(seen.one.map((e) => [e.root, e.paused])).to.deep.equal([
      [body.root, true],
      [body.root, false],
    ]);
    expect(seen.all).to.deep.equal(seen.one);
    expect(seen.other).to.deep.equal([]);
  });

  it('refuses a handshake without the cluster token (§10)', async () => {
    const store = makeStore();
    const token = 'a-long-enough-cluster-token';
    const agent = await makeAgent(store, { node: 'a', env: { JOBTREE_TOKEN: token } });
    const err = await connect(agent.url).catch((e: Error) => e);
    expect((err as Error).message).to.equal('UNAUTHORIZED');
    const ok = await connect(agent.url, token);
    expect(ok.connected).to.equal(true);
  });
});
