#!/usr/bin/env -S node --v8-pool-size=1
// The jobtree command: runs the compiled CLI (npm run build makes dist/).
// One V8 helper thread instead of Node's four: the agent is one event loop
// whose compiling and collecting is light, and it shares its machine with
// the jobs it runs and often with Redis. On two cores the four helpers took
// CPU from Redis while V8 compiled the hot path: tree_c16 103-121 ms -> 83-85
// (docs/performance.md). `npm start` passes the same flag.
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
