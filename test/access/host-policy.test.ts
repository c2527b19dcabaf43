/**
 * The Host and Origin rules of SPEC §18, on their own: which names an
 * agent answers to (loopback, its address, its URL's host, the names of
 * auth.allowedHosts; every address of the machine when it listens on all
 * of them), and which origins may send more than a GET.
 */
import { expect } from 'chai';
import { HostPolicy, hostnameOf } from '../../src/access/host-policy.js';

const machine = { hostname: 'box', addresses: ['127.0.0.1', '10.1.2.3', 'fe80::1'] };

function policy(over: Partial<ConstructorParameters<typeof HostPolicy>[0]> = {}): HostPolicy {
  return new HostPolicy({ host: '127.0.0.1', url: null, allowedHosts: [], machine, ...over });
}

describe('access.HostPolicy', () => {
  it('reads the host name of a Host header, and nothing that is not one', () => {
    expect(hostnameOf('Example.COM.:7070')).to.equal('example.com');
    expect(hostnameOf('[::1]:7070')).to.equal('::1');
    expect(hostnameOf('127.0.0.1')).to.equal('127.0.0.1');
    for (const bad of ['', ':80', 'a b', 'user@host', 'a/b', '[::1', '[::1]x', 'h:99999999'])
      expect(hostnameOf(bad), bad).to.equal(null);
  });

  it('answers to loopback names and addresses only by default: a rebound name is BAD_HOST (§18)', () => {
    const p = policy();
    for (const host of ['localhost:7070', '127.0.0.1:7070', '127.9.9.9', '[::1]:7070'])
      expect(p.refusal({ method: 'POST', host, origin: undefined }), host).to.equal(null);
    for (const host of ['attacker.example:7070', '10.1.2.3:7070', 'localhost.attacker.example'])
      expect(p.refusal({ method: 'GET', host, origin: undefined }), host).to.equal('BAD_HOST');
    expect(p.refusal({ method: 'GET', host: undefined, origin: undefined })).to.equal('BAD_HOST');
  });

  it('answers to its address, its URL and the allowed hosts, and to the machine on 0.0.0.0', () => {
    const p = policy({
      host: '10.1.2.3',
      url: 'https://jobs.example.com',
      allowedHosts: ['proxy.example.com', '*.corp.example'],
    });
    for (const host of [
      '10.1.2.3:7070',
      'jobs.example.com',
      'proxy.example.com:443',
      'a.corp.example',
    ])
      expect(p.hostAllowed(host), host).to.equal(true);
    expect(p.hostAllowed('corp.example')).to.equal(false);
    expect(p.hostAllowed('box')).to.equal(false);
    const all = policy({ host: '0.0.0.0' });
    for (const host of ['box:7070', '10.1.2.3', '[fe80::1]:7070'])
      expect(all.hostAllowed(host), host).to.equal(true);
    expect(all.hostAllowed('other-box')).to.equal(false);
  });

  it('takes a write only from the page’s own origin or a proxied name (BAD_ORIGIN, §18)', () => {
    const p = policy({ allowedHosts: ['jobs.example.com'] });
    const write = (origin: string | undefined, host = '127.0.0.1:7070') =>
      p.refusal({ method: 'POST', host, origin });
    expect(write(undefined)).to.equal(null); // the CLI and programs send none
    expect(write('http://127.0.0.1:7070')).to.equal(null);
    expect(write('https://jobs.example.com')).to.equal(null); // a proxy that rewrote Host
    for (const origin of [
      'http://attacker.example',
      'http://127.0.0.1:8080', // another local server's page
      'http://localhost:7070', // same machine, other origin than the Host it sent to
      'null',
      'file://',
      'chrome-extension://abc',
    ])
      expect(write(origin), origin).to.equal('BAD_ORIGIN');
    // a GET's origin is the same-origin policy's to keep; the handshake's is ours
    expect(
      p.refusal({ method: 'GET', host: '127.0.0.1:7070', origin: 'http://a.example' }),
    ).to.equal(null);
    expect(
      p.refusal({
        method: 'GET',
        host: '127.0.0.1:7070',
        origin: 'http://a.example',
        handshake: true,
      }),
    ).to.equal('BAD_ORIGIN');
  });

  it('takes a new list of allowed hosts on configure (a reload)', () => {
    const p = policy();
    expect(p.hostAllowed('jobs.example.com')).to.equal(false);
    p.configure({ host: '127.0.0.1', url: null, allowedHosts: ['jobs.example.com'], machine });
    expect(p.hostAllowed('jobs.example.com')).to.equal(true);
  });
});
