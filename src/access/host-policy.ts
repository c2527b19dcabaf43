/**
 * Which `Host` and `Origin` headers an agent takes (SPEC §18): a browser
 * must not drive an agent it did not load the page from, whether through a
 * name rebound to a loopback address (DNS rebinding: a foreign `Host`) or
 * a cross-site request (a foreign `Origin`). This holds with no token, the
 * loopback default. Pure but for the machine's names, passed in.
 */
import { BlockList, isIP } from 'node:net';

export interface HostPolicyOptions {
  /** The address the agent listens on (`host`). */
  host: string;
  /** The URL it advertises to peers and jobs (`url`), if set. */
  url: string | null;
  /** Names a reverse proxy in front of it is reached at (`auth.allowedHosts`); `*.example.com` for subdomains. */
  allowedHosts: readonly string[];
  /** The machine's own names and addresses: answered to when listening on every interface. */
  machine: { hostname: string; addresses: readonly string[] };
}

export type HostRefusal = 'BAD_HOST' | 'BAD_ORIGIN';

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '[::]']);

/** `Example.COM.:7070` → `example.com`; `[::1]:80` → `::1`; null when it is no host. */
export function hostnameOf(hostHeader: string): string | null {
  const text = hostHeader.trim().toLowerCase();
  if (isIP(text) !== 0) return text; // a bare address (a listen address; IPv6 has no brackets there)
  let name: string;
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0 || !/^(:\d{1,5})?$/.test(text.slice(end + 1))) return null;
    name = text.slice(1, end);
  } else {
    const m = /^([^:\s/@]+)(:\d{1,5})?$/.exec(text);
    if (!m) return null;
    name = m[1] as string;
  }
  name = name.replace(/\.$/, '');
  return name === '' ? null : name;
}

function isLoopback(name: string): boolean {
  if (name === 'localhost') return true;
  const family = isIP(name);
  return family !== 0 && LOOPBACK.check(name, family === 4 ? 'ipv4' : 'ipv6');
}

/** `host:port` as an origin of `protocol` would spell it (default ports dropped). */
function normalHost(protocol: string, hostHeader: string): string | null {
  try {
    return new URL(`${protocol}//${hostHeader}`).host;
  } catch {
    return null;
  }
}

export class HostPolicy {
  /** Names a `Host` may carry besides loopback ones. */
  private names = new Set<string>();
  /** Names an `Origin` may carry whatever the `Host` says: the advertised and proxy names. */
  private originNames = new Set<string>();
  private suffixes: string[] = [];

  constructor(options: HostPolicyOptions) {
    this.configure(options);
  }

  /** Takes new options (a reload changed `auth.allowedHosts`). */
  configure(options: HostPolicyOptions): void {
    const names = new Set<string>();
    const originNames = new Set<string>();
    const suffixes: string[] = [];
    const add = (name: string | null, asOrigin: boolean): void => {
      if (name === null) return;
      names.add(name);
      if (asOrigin) originNames.add(name);
    };
    if (!WILDCARD_ADDRESSES.has(options.host)) add(hostnameOf(options.host), false);
    else {
      add(hostnameOf(options.machine.hostname), false);
      for (const a of options.machine.addresses) add(a.toLowerCase(), false);
    }
    if (options.url !== null) add(hostnameOf(new URL(options.url).host), true);
    for (const entry of options.allowedHosts) {
      const name = entry.trim().toLowerCase();
      if (name.startsWith('*.')) suffixes.push(name.slice(1));
      else add(hostnameOf(name), true);
    }
    this.names = names;
    this.originNames = originNames;
    this.suffixes = suffixes;
  }

  private isProxyName(name: string): boolean {
    return this.originNames.has(name) || this.suffixes.some((s) => name.endsWith(s));
  }

  /** True for a Host naming this agent: loopback, its address, its URL's host, an allowed host. */
  hostAllowed(hostHeader: string | undefined): boolean {
    const name = hostHeader === undefined ? null : hostnameOf(hostHeader);
    if (name === null) return false;
    return isLoopback(name) || this.names.has(name) || this.isProxyName(name);
  }

  /**
   * True for a request without an Origin, or from the agent's own origin:
   * the host and port the request was sent to, or a name the agent is
   * advertised or proxied at (a proxy may rewrite `Host`).
   */
  originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
    if (origin === undefined) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // `null` (a sandboxed frame, a file) and anything unparsable
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    if (hostHeader !== undefined && normalHost(url.protocol, hostHeader) === url.host) return true;
    const name = hostnameOf(url.host);
    return name !== null && this.isProxyName(name);
  }

  /**
   * The refusal of a request, or null to let it in. The Origin is checked
   * on every method but GET and HEAD, and always on a socket.io handshake
   * (`handshake`): a browser sends it there, and a page's reads are
   * already kept from it by the same-origin policy.
   */
  refusal(req: {
    method: string;
    host: string | undefined;
    origin: string | undefined;
    handshake?: boolean;
  }): HostRefusal | null {
    if (!this.hostAllowed(req.host)) return 'BAD_HOST';
    const checksOrigin = req.handshake === true || (req.method !== 'GET' && req.method !== 'HEAD');
    if (checksOrigin && !this.originAllowed(req.origin, req.host)) return 'BAD_ORIGIN';
    return null;
  }
}
