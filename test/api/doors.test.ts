/**
 * The doors of SPEC §18 on a default agent (no token, loopback): a request
 * whose Host is not the agent's (DNS rebinding) is 403 BAD_HOST; a write
 * or a socket.io handshake from another origin is 403 BAD_ORIGIN; a body
 * that is not JSON is 415, so no cross-site form reaches a write route;
 * none of them writes a key. The UI comes with its CSP and nosniff.
 */
import { expect } from 'chai';
import { io } from 'socket.io-client';
import { UI_CSP } from '../../src/api/static-ui.js';
import { apiRouter } from '../../src/api/app.js';
import type { AppDeps } from '../../src/api/app-deps.js';
import { makeAgent } from '../helpers/agents.js';
import { http, rawRequest } from '../helpers/http.js';
import { dumpPrefix } from '../helpers/redis-dump.js';
import { makeStore } from '../helpers/store.js';
import { track } from '../helpers/track.js';

const shellTree = JSON.stringify({
  job: { title: 'pwned', type: 'shell', params: { command: 'touch /tmp/jobtree-pwned' } },
});

/** Every write route of the API with a concrete path. */
function writeRoutes(): Array<[string, string]> {
  const router = apiRouter({} as AppDeps);
  return router.stack.flatMap((layer) =>
    layer.methods
      .filter((m) => !['GET', 'HEAD'].includes(m))
      .map(
        (m) =>
          [
            m,
            String(layer.path).replace(/:(\w+)/g, (_x, n: string) =>
              ['root', 'id'].includes(n) ? crypto.randomUUID() : 'n1',
            ),
          ] as [string, string],
      ),
  );
}

describe('api: Host, Origin and body type (§18)', function () {
  this.timeout(30000);

  it('refuses a rebound Host on every door, the UI and health included (BAD_HOST)', async () => {
    const store = makeStore();
    const agent = await makeAgent(store);
    const host = `attacker.example:${new URL(agent.url).port}`;
    const attack = await rawRequest(
      agent.url,
      'POST',
      '/api/v1/trees',
      {
        host,
        origin: `http://${host}`,
        'content-type': 'application/json',
      },
      shellTree,
    );
    expect(attack.status).to.equal(403);
    expect(JSON.parse(attack.text).error.code).to.equal('BAD_HOST');
    for (const path of ['/', '/api/v1/health', '/api/v1/trees', '/metrics']) {
      const res = await rawRequest(agent.url, 'GET', path, { host });
      expect(res.status, path).to.equal(403);
    }
    const handshake = await rawRequest(agent.url, 'GET', '/socket.io/?EIO=4&transport=polling', {
      host,
    });
    expect(handshake.status).to.equal(403);
    expect(JSON.parse(handshake.text).message).to.equal('BAD_HOST');
    expect((await http(agent.url, 'GET', '/api/v1/trees')).body.trees).to.deep.equal([]);
  });

  it('refuses a write from another origin on every write route, and a form body (BAD_ORIGIN, 415)', async () => {
    const store = makeStore();
    const agent = await makeAgent(store);
    await http(agent.url, 'PUT', '/api/v1/pools/p', { slots: 1 });
    const before = JSON.stringify(
      [...(await dumpPrefix(store.prefix))]
        .filter(([k]) => !/:(node|alive|lease|idle)/.test(k))
        .sort(),
    );
    const host = new URL(agent.url).host;
    const routes = writeRoutes();
    expect(routes.length).to.be.at.least(17);
    for (const [method, path] of routes) {
      // a cross-site page: with no body, and with the bodies a form may send
      for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded']) {
        const res = await rawRequest(
          agent.url,
          method,
          path,
          {
            host,
            origin: 'http://evil.example',
            ...(type ? { 'content-type': type } : {}),
          },
          type ? shellTree : undefined,
        );
        expect(res.status, `${method} ${path} ${type}`).to.equal(403);
        expect(JSON.parse(res.text).error.code).to.equal('BAD_ORIGIN');
      }
      // no Origin (not a browser), but not JSON either: refused before it is parsed
      const form = await rawRequest(
        agent.url,
        method,
        path,
        { host, 'content-type': 'text/plain' },
        shellTree,
      );
      expect(form.status, `${method} ${path} text/plain`).to.equal(415);
      expect(JSON.parse(form.text).error.code).to.equal('UNSUPPORTED_MEDIA_TYPE');
    }
    const after = JSON.stringify(
      [...(await dumpPrefix(store.prefix))]
        .filter(([k]) => !/:(node|alive|lease|idle)/.test(k))
        .sort(),
    );
    expect(after).to.equal(before);
    // the page's own origin may write
    const own = await rawRequest(
      agent.url,
      'PUT',
      '/api/v1/pools/q',
      {
        host,
        origin: agent.url,
        'content-type': 'application/json; charset=utf-8',
      },
      JSON.stringify({ slots: 2 }),
    );
    expect(own.status).to.equal(201);
  });

  it('refuses a websocket from another origin, and takes one from its own (§18)', async () => {
    const agent = await makeAgent(makeStore());
    const connectWith = (origin: string) =>
      new Promise<string>((resolve) => {
        const socket = track(
          io(agent.url, {
            transports: ['websocket'],
            reconnection: false,
            extraHeaders: { origin },
          }),
          (s) => void s.close(),
        );
        socket.on('connect', () => resolve('connected'));
        socket.on('connect_error', (err) => resolve(`refused: ${err.message}`));
      });
    expect(await connectWith('http://evil.example')).to.match(/^refused/);
    expect(await connectWith(agent.url)).to.equal('connected');
    const polling = await rawRequest(agent.url, 'GET', '/socket.io/?EIO=4&transport=polling', {
      host: new URL(agent.url).host,
      origin: 'http://evil.example',
    });
    expect(polling.status).to.equal(403);
    expect(JSON.parse(polling.text).message).to.equal('BAD_ORIGIN');
  });

  it('serves the UI with its Content-Security-Policy and nosniff', async () => {
    const agent = await makeAgent(makeStore());
    const page = await fetch(`${agent.url}/`);
    expect(page.headers.get('content-security-policy')).to.equal(UI_CSP);
    expect(UI_CSP).to.include("frame-ancestors 'none'").and.include("script-src 'self'");
    expect(UI_CSP).to.not.include('unsafe-eval');
    expect(page.headers.get('x-content-type-options')).to.equal('nosniff');
    const api = await fetch(`${agent.url}/api/v1/health`);
    expect(api.headers.get('x-content-type-options')).to.equal('nosniff');
  });
});
