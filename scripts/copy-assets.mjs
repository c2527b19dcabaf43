// Copies the non-TypeScript files the compiled code loads at run time
// (the Lua scripts) next to it in dist/. Run by `npm run build`.
import { cpSync } from 'node:fs';

cpSync('src/store/scripts', 'dist/store/scripts', { recursive: true });
