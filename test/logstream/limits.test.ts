/**
 * What one caller may hold of an agent's socket.io (SPEC §18): at most
 * limits.subscriptionsPerSocket subscriptions a socket (100,000 asked for
 * on one read-only socket get TOO_MANY_SUBSCRIPTIONS past it, and the agent
 * stays healthy), at most limits.socketsPerClient sockets from one address,
 * and nothing left behind by ended subscriptions (followers and watchers,
 * counted in /metrics). Malformed events are answered, never thrown.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { io } from 'socket.io-client';
import type { LogError } from '../../src/logstream/events.js';
import { makeAgent } from '../helpers/agents.js';
import { http } from '../helpers/http.js';
import { connect, type TestSocket } from '../helpers/log-client.js';
import { makeStore } from '../helpers/store.js';
import { track } from '../helpers/track.js';
import { waitFor } from '../helpers/wait.js';

/** A gauge of the agent's /metrics. */
async function gauge(url: string, name: string, token?: string): Promise<number> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const text = (await http(url, 'GET', '/metrics', undefined, headers)).body as string;
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return Number(line?.split(' ').pop());
}

function errorsOf(socket: TestSocket): LogError[] {
  const errors: LogError[] = [];
  socket.on('log:error', (e) => errors.push(e));
  return errors;
}

describe('logstream: what one caller may hold (§18)', function () {
  this.timeout(60000);

  it('refuses subscriptions past limits.subscriptionsPerSocket, one given back makes room', async () => {
    const agent = await makeAgent(makeStore(), {
      env: { JOBTREE_LIMITS_SUBSCRIPTIONS_PER_SOCKET: '50' },
    });
    const made = await http(agent.url, 'POST', '/api/v1/trees', {
      job: { title: 'long', type: 'sleep', params: { ms: 60000 } },
    });
    const job = made.body.root as string;
    const socket = await connect(agent.url);
    const errors = errorsOf(socket);
    for (let i = 0; i < 60; i++) socket.emit('log:subscribe', { job, sub: `s${i}` });
    await waitFor(() => errors.length === 10, { what: '10 refusals' });
    expect(errors.every((e) => e.code === 'TOO_MANY_SUBSCRIPTIONS')).to.equal(true);
    expect(errors.map((e) => e.sub)).to.deep.equal(
      Array.from({ length: 10 }, (_, i) => `s${50 + i}`),
    );
    await waitFor(async () => (await gauge(agent.url, 'jobtree_log_followers')) === 50, {
      what: '50 followers',
    });
    socket.emit('log:unsubscribe', { job, sub: 's0' });
    socket.emit('log:subscribe', { job, sub: 'again' });
    socket.emit('log:subscribe', { job, sub: 'one-too-many' });
    await waitFor(() => errors.length === 11, { what: 'the last refusal' });
    expect(errors.at(-1)?.sub).to.equal('one-too-many');
    expect(socket.connected).to.equal(true);
    socket.close();
    await waitFor(async () => (await gauge(agent.url, 'jobtree_log_followers')) === 0, {
      what: 'every follower to go',
    });
  });

  it('closes a read-only socket that asks for 100,000 subscriptions, after 100 refusals', async () => {
    const token = `admin-${randomUUID()}`;
    const read = `read-${randomUUID()}`;
    const agent = await makeAgent(makeStore(), {
      env: { JOBTREE_TOKEN: token, JOBTREE_READ_TOKEN: read },
    });
    const made = await http(
      agent.url,
      'POST',
      '/api/v1/trees',
      { job: { title: 'long', type: 'sleep', params: { ms: 60000 } } },
      { authorization: `Bearer ${token}` },
    );
    const job = made.body.root as string;
    const socket = await connect(agent.url, read);
    const errors = errorsOf(socket);
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    for (let i = 0; i < 100_000; i++) socket.emit('log:subscribe', { job, sub: `s${i}` });
    expect(await closed).to.equal('io server disconnect');
    expect(errors).to.have.length(100);
    expect(errors.at(-1)?.message).to.include('closed');
    await waitFor(async () => (await gauge(agent.url, 'jobtree_log_followers', read)) === 0, {
      what: 'every follower to go',
    });
    expect((await http(agent.url, 'GET', '/api/v1/health')).status).to.equal(200);
    expect(await connect(agent.url, read)).to.have.property('connected', true); // it may come back
  });

  it('refuses sockets past limits.socketsPerClient from one address', async () => {
    const agent = await makeAgent(makeStore(), { env: { JOBTREE_LIMITS_SOCKETS_PER_CLIENT: '3' } });
    const open = [await connect(agent.url), await connect(agent.url), await connect(agent.url)];
    const refused = await connect(agent.url).catch((e: Error) => e);
    expect(refused).to.be.instanceOf(Error);
    expect(await gauge(agent.url, 'jobtree_sockets')).to.equal(3);
    open[0]!.close();
    await waitFor(async () => (await gauge(agent.url, 'jobtree_sockets')) === 2, {
      what: 'the socket to go',
    });
    const again = await waitFor(() => connect(agent.url).catch(() => null), {
      what: 'room for a socket',
    });
    expect(again.connected).to.equal(true);
  });

  it('frees everything ended and failed subscriptions held: 4,500 ended, 500 failed', async () => {
    const agent = await makeAgent(makeStore());
    const done = await http(agent.url, 'POST', '/api/v1/trees?wait=true', {
      job: { title: 'x', type: 'noop' },
    });
    const socket = await connect(agent.url);
    let ended = 0;
    socket.on('log:end', () => (ended += 1));
    const errors = errorsOf(socket);
    // 4,500 that end, in rounds under the socket's limit, and 500 of jobs that do not exist
    for (let round = 1; round <= 5; round++) {
      for (let i = 0; i < 900; i++)
        socket.emit('log:subscribe', { job: done.body.root, sub: `e${round}-${i}` });
      for (let i = 0; i < 100; i++)
        socket.emit('log:subscribe', { job: randomUUID(), sub: `n${round}-${i}` });
      await waitFor(() => ended === 900 * round && errors.length === 100 * round, {
        what: `round ${round}`,
      });
    }
    expect(errors.every((e) => e.code === 'NOT_FOUND')).to.equal(true);
    expect(await gauge(agent.url, 'jobtree_log_followers')).to.equal(0);
    // what the socket holds is freed too: the limit counts nothing ended
    expect(await gauge(agent.url, 'jobtree_sockets')).to.equal(1);
  });

  it('answers malformed events and ignores unknown ones, keeping the socket', async () => {
    const agent = await makeAgent(makeStore());
    const socket = await connect(agent.url);
    const errors = errorsOf(socket);
    const raw = socket as unknown as { emit(event: string, ...args: unknown[]): void };
    for (const bad of [
      null,
      42,
      'x',
      [],
      { job: 5 },
      { job: randomUUID(), offset: 'a' },
      { job: randomUUID(), sub: 'x'.repeat(100) },
    ])
      raw.emit('log:subscribe', bad);
    for (const bad of [null, 7, { root: 'nope' }, { root: ['a'] }])
      raw.emit('status:subscribe', bad);
    raw.emit('log:unsubscribe', null);
    raw.emit('status:unsubscribe', 5);
    raw.emit('no:such-event', { x: 1 });
    await waitFor(() => errors.length >= 7, { what: 'the bad requests to be answered' });
    expect(errors.map((e) => e.code)).to.deep.equal(Array(7).fill('BAD_REQUEST'));
    expect(socket.connected).to.equal(true);
    expect((await http(agent.url, 'GET', '/api/v1/health')).status).to.equal(200);
  });

  it('refuses a handshake past the limit before any connection exists (raw engine.io)', async () => {
    const agent = await makeAgent(makeStore(), { env: { JOBTREE_LIMITS_SOCKETS_PER_CLIENT: '1' } });
    await connect(agent.url);
    const message = await new Promise<string>((resolve) => {
      const s = track(
        io(agent.url, { transports: ['polling'], reconnection: false }),
        (x) => void x.close(),
      );
      s.on('connect_error', (err) =>
        resolve(
          String(
            (err as Error & { context?: { responseText?: string } }).context?.responseText ??
              err.message,
          ),
        ),
      );
      s.on('connect', () => resolve('connected'));
    });
    expect(message).to.include('TOO_MANY_SOCKETS');
  });
});
