/**
 * The archive of a job's log (SPEC §19), as made and read back: a log past
 * `maxBytes` keeps whole lines of its head and tail with a line that says
 * what was cut; a range is read from it as from a file; a record that is
 * no archive, or one that would grow past its size, reads as none.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  compressLog,
  expandLog,
  fitArchive,
  LogArchiver,
  LogCopy,
  readForArchive,
  sliceArchived,
} from '../../src/logstream/archive.js';
import { tempDir } from '../helpers/agents.js';

const line = (i: number) => `2026-12-08T00:00:00.000Z stdout line ${String(i).padStart(5, '0')}\n`;
const lines = (n: number) => Array.from({ length: n }, (_, i) => line(i)).join('');

describe('logstream: archive', () => {
  it('keeps a log that fits whole, and the whole lines of the head and tail of one that does not', async () => {
    const small = Buffer.from(lines(10));
    expect(fitArchive(small, 4096).equals(small)).to.equal(true);
    const big = Buffer.from(lines(1000)); // 45 KB
    const fitted = fitArchive(big, 4096).toString();
    const kept = fitted.split('\n').filter(Boolean);
    expect(kept[0]).to.equal(line(0).trimEnd());
    expect(kept.at(-1)).to.equal(line(999).trimEnd());
    const cut = kept.find((l) => l.includes('were cut'))!;
    expect(cut).to.match(/ agent --- \d+ bytes of this log were cut from its archive/);
    const said = Number(/--- (\d+) bytes/.exec(cut)![1]);
    const rest = kept.filter((l) => l !== cut);
    // every kept line is whole, and the cut says how many bytes are missing
    for (const l of rest) expect(l).to.match(/^2026-12-08T00:00:00.000Z stdout line \d{5}$/);
    expect(said).to.equal(big.length - Buffer.byteLength(rest.join('\n') + '\n'));
    expect(Buffer.byteLength(fitted)).to.be.at.most(4096 + 200);
    // the file read for the archive gives the same head and tail without reading it whole
    const path = join(tempDir(), 'j.log');
    writeFileSync(path, big);
    const fromFile = (await readForArchive(path, 4096))!.toString();
    expect(fromFile.replace(/^.* agent --- /m, '')).to.equal(fitted.replace(/^.* agent --- /m, ''));
    expect(await readForArchive(join(tempDir(), 'none.log'), 4096)).to.equal(null);
  });

  it('reads a range of an archive as of a file: from an offset, for a length, the tail from a line start', () => {
    const text = Buffer.from('one\ntwo\nthree\n');
    expect(sliceArchived(text, 4).bytes.toString()).to.equal('two\nthree\n');
    expect(sliceArchived(text, 4, 3).bytes.toString()).to.equal('two');
    expect(sliceArchived(text, -8).bytes.toString()).to.equal('three\n'); // "o\nthree\n" moves on
    expect(sliceArchived(text, -100)).to.include({ start: 0, size: 14 });
    expect(sliceArchived(text, 99).bytes.length).to.equal(0);
  });

  it('reads a record that is no archive, or would grow past its bound, as none', async () => {
    const log = Buffer.from(lines(50));
    const packed = await compressLog(log);
    expect(packed.length).to.be.below(log.length / 4); // a long log is gzip
    expect((await expandLog(packed, 1 << 20))!.equals(log)).to.equal(true);
    const short = Buffer.from(lines(2));
    expect((await compressLog(short)).equals(short)).to.equal(true); // a short one as it is
    expect((await expandLog(short, 1 << 20))!.equals(short)).to.equal(true);
    expect(await expandLog(Buffer.from([0x1f, 0x8b, 1, 2, 3]), 1 << 20)).to.equal(null); // broken gzip
    expect(await expandLog(Buffer.alloc(2 << 20, 'a'), 1 << 20)).to.equal(null); // plain, too big
    const bomb = gzipSync(Buffer.alloc(50 << 20)); // 50 MiB of zeros in ~50 KB
    expect(await expandLog(bomb, 1 << 20)).to.equal(null);
  });

  it('tries a batch Redis refused again, but a stopping agent gives it up at once', async () => {
    const dropped: string[] = [];
    let calls = 0;
    const archiver = new LogArchiver({
      store: {
        archiveLogs: async () => {
          calls += 1;
          throw new Error('Redis is unavailable');
        },
      },
      node: 'n1',
      maxBytes: 1 << 20,
      onDropped: (n, reason) => dropped.push(`${n} ${reason}`),
    });
    void archiver.keep('r', 'j', 'T agent one line\n');
    await new Promise((r) => setImmediate(r));
    const started = Date.now();
    await archiver.drain();
    expect(Date.now() - started).to.be.below(900); // not the 1 s between tries, let alone 5
    expect(calls).to.be.within(1, 2);
    expect(dropped).to.deep.equal(['1 Redis is unavailable']);
  });

  it('keeps a copy of what the agent writes while it is small, and none once another hand writes', () => {
    const copy = new LogCopy();
    copy.add('a\n');
    copy.add('b\n');
    expect(copy.text).to.equal('a\nb\n');
    copy.drop();
    expect(copy.text).to.equal(null);
    const big = new LogCopy();
    big.add('x'.repeat(70 * 1024));
    expect(big.text).to.equal(null); // past the copy's bound: the file is read at the end
  });
});
