/**
 * Serves the browser UI that `npm run build` bundles into dist/ui: `/` is
 * its page and `/ui/<file>` its assets. Only the files found there at start
 * are served (read once, kept in memory, with an ETag), so no request path
 * ever reaches the file system. The UI loads without the token; the API
 * calls it makes carry it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Next } from 'koa';

/**
 * SPEC §18: the page runs only its own scripts (no inline script, no
 * eval), talks only to its own origin (socket.io included), and no other
 * site may frame it (clickjacking). Styles may be inline: preact sets
 * some attributes.
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** dist/ui from both src/api (tests, through tsx) and dist/api (the built agent). */
const UI_DIR = fileURLToPath(new URL('../../dist/ui/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
    assets.set(name === 'index.html' ? '/' : `/ui/${name}`, { body, type, etag });
  }
  return assets;
}

export function staticUi(dir = UI_DIR) {
  const assets = loadAssets(dir);
  return async (ctx: Context, next: Next): Promise<void> => {
    const asset = ctx.method === 'GET' || ctx.method === 'HEAD' ? assets.get(ctx.path) : undefined;
    if (!asset) {
      if (ctx.path === '/' && assets.size === 0) {
        ctx.type = 'text/plain';
        ctx.body = 'The UI is not built: run `npm run build`.\n';
        return;
      }
      await next();
      return;
    }
    ctx.set('Content-Security-Policy', UI_CSP);
    ctx.set('ETag', asset.etag);
    ctx.set('Cache-Control', 'no-cache');
    if (ctx.get('if-none-match') === asset.etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = asset.type;
    ctx.body = asset.body;
  };
}
