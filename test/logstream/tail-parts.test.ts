/**
 * The pure parts of the merged tail (SPEC §19): a log's lines with their
 * byte offsets (cut chunks, multi-byte text, a resume's skipped line), the
 * last lines of a file, and the hold-back that merges jobs by time without
 * ever reordering one job's lines.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HoldBack } from '../../src/logstream/hold-back.js';
import { JobLines, parseLine } from '../../src/logstream/log-lines.js';
import { lastLines } from '../../src/logstream/reader.js';
import { parseTailRequest } from '../../src/logstream/tail-request.js';
import { tempDir } from '../helpers/agents.js';

describe('logstream: merged tail parts', () => {
  it('gives each line its byte offset across cut chunks and multi-byte text, and skips a resumed line', () => {
    const text = 'T agent one\nT stdout zwölf €\nT stderr three\n';
    const lines = new JobLines(100);
    const bytes = Buffer.from(text);
    const got = [
      ...(lines.push(100, bytes.subarray(0, 20).toString())! ?? []),
      ...(lines.push(120, bytes.subarray(20).toString())! ?? []),
    ];
    expect(got.map((l) => l.raw)).to.deep.equal([
      'T agent one',
      'T stdout zwölf €',
      'T stderr three',
    ]);
    expect(got.map((l) => l.offset)).to.deep.equal([
      100,
      112,
      112 + Buffer.byteLength('T stdout zwölf €\n'),
    ]);
    expect(lines.push(500, 'later\n')).to.equal(null); // a gap is refused
    const resumed = new JobLines(112, 112);
    expect(resumed.push(112, text.slice(12))!.map((l) => l.raw)).to.deep.equal(['T stderr three']);
    expect(parseLine('2026-12-08T00:00:00.000Z stderr a b')).to.deep.equal({
      at: '2026-12-08T00:00:00.000Z',
      source: 'stderr',
      text: 'a b',
    });
    expect(parseLine('no form')).to.deep.equal({ at: '', source: 'job', text: 'no form' });
  });

  it('reads the last N whole lines of a file, never a line still being written', async () => {
    const path = join(tempDir(), 'j.log');
    writeFileSync(path, 'a\nbb\nccc\npartial');
    expect(await lastLines(path, 2)).to.deep.equal({ start: 2, end: 9, text: 'bb\nccc\n' });
    expect(await lastLines(path, 0)).to.include({ start: 9, end: 9, text: '' });
    expect(await lastLines(path, 10)).to.include({ start: 0, text: 'a\nbb\nccc\n' });
    expect(await lastLines(join(tempDir(), 'none'), 3)).to.deep.equal({
      start: 0,
      end: 0,
      text: '',
    });
  });

  it('merges jobs by time within the hold, keeps each job’s order whatever its stamps say', () => {
    const hold = new HoldBack<{ job: string; at: string; n: number }>(50);
    const at = (ms: number) => new Date(ms).toISOString();
    const t0 = Date.parse('2026-12-08T00:00:00.000Z');
    hold.add({ job: 'b', at: at(t0 + 20), n: 1 }, t0 + 25);
    hold.add({ job: 'a', at: at(t0 + 10), n: 2 }, t0 + 30); // came later, stamped earlier
    hold.add({ job: 'a', at: at(t0 + 5), n: 3 }, t0 + 31); // a's clock went back: stays after n 2
    expect(hold.take(t0 + 40)).to.deep.equal([]); // nothing due before its hold
    expect(hold.nextDue()).to.equal(t0 + 60);
    expect(hold.take(t0 + 75).map((l) => l.n)).to.deep.equal([2, 3, 1]);
    // a line that arrived long after its stamp is due at once; one stamped ahead waits hold, no more
    hold.add({ job: 'c', at: at(t0), n: 4 }, t0 + 1000);
    hold.add({ job: 'd', at: at(t0 + 99_000), n: 5 }, t0 + 1000);
    expect(hold.take(t0 + 1000).map((l) => l.n)).to.deep.equal([4]);
    expect(hold.take(t0 + 1050).map((l) => l.n)).to.deep.equal([5]);
    expect(hold.size).to.equal(0);
  });

  it('takes a resume’s offsets by job or job@node, and refuses junk in them', () => {
    const id = '0c0e4a3e-9d7b-4c1e-8a0e-1f2d3c4b5a69';
    const req = parseTailRequest({
      sub: 's',
      scope: { root: id },
      from: { offsets: { [id]: 10, [`${id}@node-1`]: 20 }, rest: 'now' },
    });
    expect(req.offsets).to.deep.equal({ [id]: 10, [`${id}@node-1`]: 20 });
    expect(req.from).to.equal('now');
    expect(parseTailRequest({ sub: 's', scope: { tags: { app: 'shop' } } }).from).to.deep.equal({
      lines: 200,
    });
    expect(() =>
      parseTailRequest({ sub: 's', scope: { root: id }, from: { offsets: { x: 1 } } }),
    ).to.throw(/from\.offsets/);
    expect(() =>
      parseTailRequest({ sub: 's', scope: { root: id }, from: { offsets: { [id]: -1 } } }),
    ).to.throw(/from\.offsets/);
    expect(() => parseTailRequest({ sub: 's', scope: { root: id, node: 'a' } })).to.throw(/^scope/);
  });
});
