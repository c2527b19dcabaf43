/**
 * TLS between nodes (SPEC §16): two agents serve HTTPS and WSS on their
 * API's port with certificates made at run time by a CA of the test's own;
 * a log of a job on b is proxied by a over HTTPS and relayed by a over WSS
 * (verified against tls.ca); plain HTTP gets nothing from them, and they
 * call no peer at a plain-http URL (SPEC §18); and an agent on a
 * non-loopback address without TLS refuses to start.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getFromPeer } from '../../src/api/peer-request.js';
import { runCli, spawnAgent, tempDir } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { makeStore, nodeInfo, submit } from '../helpers/store.js';
import { waitFor } from '../helpers/wait.js';

/** A CA, and a certificate it signed for 127.0.0.1 (P-256, one day). */
function makeCerts(): { dir: string; ca: Buffer } {
  const dir = tempDir('jobtree-tls-');
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl(
    'req',
    '-x509',
    ...ec,
    '-days',
    '1',
    '-subj',
    '/CN=jobtree test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  ssl('req', ...ec, '-subj', '/CN=127.0.0.1', '-keyout', 'node.key', '-out', 'node.csr');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl(
    'x509',
    '-req',
    '-in',
    'node.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'san.ext',
    '-out',
    'node.pem',
  );
  return { dir, ca: readFileSync(join(dir, 'ca.pem')) };
}

async function getText(
  url: string,
  token: string,
  ca: Buffer,
): Promise<{ status: number; text: string }> {
  const res = await getFromPeer(url, { authorization: `Bearer ${token}` }, ca);
  let text = '';
  for await (const chunk of res) text += String(chunk);
  return { status: res.statusCode ?? 0, text };
}

describe('e2e: TLS between nodes (§16)', function () {
  this.timeout(60000);

  it('serves HTTPS and WSS, and proxies and relays logs between nodes over TLS', async () => {
    const { dir, ca } = makeCerts();
    const token = `tls-${randomUUID()}`;
    const env = {
      JOBTREE_TOKEN: token,
      JOBTREE_TLS_CERT: join(dir, 'node.pem'),
      JOBTREE_TLS_KEY: join(dir, 'node.key'),
      JOBTREE_TLS_CA: join(dir, 'ca.pem'),
    };
    const prefix = `jt-${randomUUID()}`;
    const [a, b] = await Promise.all(
      ['a', 'b'].map((node) =>
        spawnAgent({ node, redisUrl: testRedisUrl(), prefix, env, tlsCa: ca }),
      ),
    );
    expect(a!.url).to.match(/^https:/);
    const cli = {
      env: {
        JOBTREE_SERVER: a!.url,
        JOBTREE_TOKEN: token,
        NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
      },
    };
    const tree = join(dir, 'tree.json');
    writeFileSync(
      tree,
      JSON.stringify({
        job: { title: 'on b', type: 'shell', node: 'b', params: { command: 'echo over tls' } },
      }),
    );
    const submitted = await runCli(['submit', tree, '--wait', '--json'], cli);
    expect(submitted.code, submitted.stderr).to.equal(0);
    const id = JSON.parse(submitted.stdout).root as string;

    // a proxies b's log route over HTTPS, verifying b's certificate with tls.ca
    const proxied = await waitFor(async () => {
      const r = await getText(`${a!.url}/api/v1/jobs/${id}/log`, token, ca);
      return r.status === 200 && r.text.includes('finished') ? r : undefined;
    });
    expect(proxied.text).to.match(/ stdout over tls\n/);
    // a relays it over WSS to a client that trusts the CA
    const tail = await runCli(['tail', '-f', id], cli);
    expect(tail.code, tail.stderr).to.equal(0);
    expect(tail.stdout).to.equal(proxied.text);

    const plain = await fetch(`${b!.url.replace('https:', 'http:')}/api/v1/health`).catch(
      (e: Error) => e,
    );
    expect(plain).to.be.instanceOf(Error);

    // SPEC §18: a node record naming a plain-http URL gets no token from a TLS agent
    const store = makeStore(testRedisUrl(), prefix);
    const lured = await submit(store, { job: { title: 'lure', type: 'noop', node: 'mallory' } });
    await store.registerNode({ ...nodeInfo('mallory'), url: 'http://127.0.0.1:9' }, 60000);
    const refused = await getText(`${a!.url}/api/v1/jobs/${lured.root}/log`, token, ca);
    expect(refused.status).to.equal(503);
    expect(refused.text).to.include('plain http');
    const relayed = await runCli(['tail', '-f', lured.root], cli);
    expect(relayed.code).to.equal(4);
    expect(relayed.stderr).to.include('plain http');
  });

  it('refuses a non-loopback address without TLS unless auth.allowPlainHttp says so', async () => {
    const run = await runCli(
      ['agent', '--host', '0.0.0.0', '--port', '0', '--data-dir', tempDir()],
      {
        env: { JOBTREE_TOKEN: `t-${randomUUID()}`, JOBTREE_REDIS_URL: testRedisUrl() },
      },
    );
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.include('needs TLS').and.include('auth.allowPlainHttp');
  });
});
