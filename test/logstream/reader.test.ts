/**
 * readLog (SPEC §6 offsets): from a byte offset, or the last N bytes from
 * a line boundary; a log not written yet is empty.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { readLog } from '../../src/logstream/reader.js';
import { tempDir } from '../helpers/agents.js';

const CONTENT = 'first line\nsecond line\nthird\n';

async function read(offset: number, content = CONTENT) {
  const file = join(tempDir(), 'job.log');
  writeFileSync(file, content);
  const range = await readLog(file, offset);
  return { ...range, data: range.stream ? await text(range.stream) : '' };
}

describe('logstream.readLog', () => {
  it('reads from a byte offset to the end', async () => {
    expect(await read(0)).to.include({ start: 0, size: CONTENT.length, data: CONTENT });
    expect(await read(11)).to.include({ start: 11, data: 'second line\nthird\n' });
    expect(await read(5)).to.include({ start: 5, data: ' line\nsecond line\nthird\n' });
  });

  it('gives nothing past the end', async () => {
    expect(await read(1000)).to.include({ start: CONTENT.length, data: '' });
  });

  it('reads the last N bytes from the next line boundary when the offset is negative', async () => {
    expect(await read(-8)).to.include({ start: 23, data: 'third\n' }); // -8 lands inside "second line"
    expect(await read(-18)).to.include({ start: 11, data: 'second line\nthird\n' }); // lands on a line start
    expect(await read(-1000)).to.include({ start: 0, data: CONTENT });
  });

  it('finds a boundary beyond its probe window in a long line', async () => {
    const long = `${'x'.repeat(200_000)}\nend\n`;
    expect(await read(-150_000, long)).to.include({ start: 200_001, data: 'end\n' });
  });

  it('answers a log that does not exist yet as empty', async () => {
    const range = await readLog(join(tempDir(), 'missing.log'), 0);
    expect(range).to.deep.equal({ start: 0, size: 0, stream: null });
  });
});
