#!/usr/bin/env node
// The jobtree command: runs the compiled CLI (npm run build makes dist/).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`jobtree: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
