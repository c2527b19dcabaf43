// Bundles the browser UI (src/ui, Preact) into dist/ui with esbuild: one
// app.js, one app.css and index.html, served by every agent from its own
// files (no CDN: nodes are often offline). Run by `npm run build`.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

mkdirSync('dist/ui', { recursive: true });
await build({
  entryPoints: { app: 'src/ui/main.tsx' },
  bundle: true,
  minify: true,
  sourcemap: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: 'dist/ui',
  logLevel: 'warning',
  metafile: false,
});
copyFileSync('src/ui/index.html', 'dist/ui/index.html');
