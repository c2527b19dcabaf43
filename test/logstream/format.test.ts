/**
 * The log line format (SPEC §6: one line per line of text, stderr told
 * apart), and the window and delay that batch log work.
 */
import { expect } from 'chai';
import { formatLines } from '../../src/logstream/log-file.js';
import { Delay, Window } from '../../src/logstream/window.js';

describe('formatLines', () => {
  const at = new Date('2026-11-23T10:00:00.123Z');

  it('stamps a single line with its time and source', () => {
    expect(formatLines('stderr', 'disk full', at)).to.equal(
      '2026-11-23T10:00:00.123Z stderr disk full\n',
    );
  });

  it('turns every line of multi-line text, LF or CRLF, into a stamped line', () => {
    expect(formatLines('job', 'a\r\nb\nc', at)).to.equal(
      [
        '2026-11-23T10:00:00.123Z job a\n',
        '2026-11-23T10:00:00.123Z job b\n',
        '2026-11-23T10:00:00.123Z job c\n',
      ].join(''),
    );
  });
});

describe('Window', () => {
  it('hands over everything added in one window together, once', async () => {
    const handed: number[][] = [];
    let firstWindow: () => void = () => undefined;
    const ended = new Promise<void>((r) => (firstWindow = r));
    const window = new Window<number>(20, (items) => {
      handed.push(items);
      firstWindow();
    });
    window.add(1);
    window.add(2);
    expect(handed).to.deep.equal([]);
    await ended;
    window.add(3);
    window.flush();
    window.flush();
    expect(handed).to.deep.equal([[1, 2], [3]]);
  });
});

describe('Delay', () => {
  it('hands every item over no sooner than its delay, several items in one batch', async () => {
    const added = new Map<string, number>();
    const handed: Array<{ items: string[]; at: number }> = [];
    let firstHanded: () => void = () => undefined;
    let allHanded: () => void = () => undefined;
    const first = new Promise<void>((r) => (firstHanded = r));
    const done = new Promise<void>((r) => (allHanded = r));
    const delay = new Delay<string>(20, (items) => {
      handed.push({ items, at: performance.now() });
      firstHanded();
      if (handed.flatMap((h) => h.items).length === 3) allHanded();
    });
    for (const item of ['a', 'b']) {
      added.set(item, performance.now());
      delay.add(item);
    }
    // 'c' comes once 'a' and 'b' have been handed over: a window of its own
    await first;
    added.set('c', performance.now());
    delay.add('c');
    await done;
    expect(handed.map((h) => h.items)).to.deep.equal([['a', 'b'], ['c']]);
    for (const { items, at } of handed)
      for (const item of items) expect(at - (added.get(item) as number)).to.be.at.least(20);
  });
});
