/**
 * A GET to another node's API (a proxied log read, SPEC §6), over HTTP or
 * HTTPS, trusting the cluster's CA (`tls.ca`) where one is configured:
 * Node's fetch cannot be given a CA, so this uses node:http(s).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export function getFromPeer(
  url: string,
  headers: Record<string, string>,
  ca: Buffer | undefined,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = url.startsWith('https:');
    const req = secure
      ? httpsRequest(url, { method: 'GET', headers, ...(ca ? { ca } : {}) }, resolve)
      : httpRequest(url, { method: 'GET', headers }, resolve);
    req.on('error', reject);
    req.end();
  });
}
