/**
 * A relay's flow control (SPEC §18): a reader that stops reading a 35 MB
 * log relayed from another node costs the relaying agent its own buffers
 * only (before, the relay took the whole log into memory: 83 MB → 810 MB),
 * and when it reads again it gets every byte, in order, once.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket as NetSocket } from 'node:net';
import { spawnAgent } from '../helpers/agents.js';
import { testRedisUrl } from '../helpers/hooks.js';
import { http } from '../helpers/http.js';
import { connect, follow, until } from '../helpers/log-client.js';

/** The resident memory of a process, in MB. */
function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

describe('e2e: relay flow control (§18)', function () {
  this.timeout(120000);

  it('holds a paused reader of a relayed 35 MB log to its buffers, then delivers it whole', async () => {
    const prefix = `jt-${randomUUID()}`;
    const a = await spawnAgent({ node: 'a', redisUrl: testRedisUrl(), prefix });
    await spawnAgent({ node: 'b', redisUrl: testRedisUrl(), prefix });
    const line = 'x'.repeat(99);
    const made = await http(a.url, 'POST', '/api/v1/trees?wait=true&timeout=60', {
      job: {
        title: 'loud',
        type: 'shell',
        node: 'b',
        params: { command: `yes ${line} | head -c 35000000` },
      },
    });
    expect(made.body.state).to.equal('SUCCESS');
    const job = made.body.root as string;

    const socket = await connect(a.url);
    const before = rssMb(a.child.pid!);
    const got = follow(socket, job, 0);
    await until(() => got.text.length > 0, 'the first chunk');
    const engine = (
      socket.io as unknown as { engine: { transport: { ws: { _socket: NetSocket } } } }
    ).engine;
    const tcp = engine.transport.ws._socket;
    tcp.pause(); // the reader stops reading: its window fills, and every buffer behind it
    let most = before;
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, 250)); // a soak: long enough for an unbounded relay to balloon
      most = Math.max(most, rssMb(a.child.pid!));
    }
    const received = got.text.length;
    tcp.resume();
    const end = await until(() => got.end, 'log:end', 90000);
    expect(received).to.be.below(35_000_000 / 2); // it was holding back
    // with flow control ~13 MB here; without it the relay took the rest of the log in (~75 MB)
    expect(most - before).to.be.below(40);
    expect(got.gaps).to.deep.equal([]);
    expect(end.size).to.be.above(35_000_000);
    expect(Buffer.byteLength(got.text)).to.equal(end.size);
  });
});
