/**
 * The journal's own rules (SPEC §9): appends survive a new process, order is
 * kept, a line torn by a crash is skipped, and a replay that fails midway
 * keeps what Redis has not answered for.
 */
import { expect } from 'chai';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobtreeError, UnavailableError } from '../../src/shared/errors.js';
import type { FinishReport } from '../../src/store/store.js';
import { Journal } from '../../src/node-agent/journal.js';
import { tempDir } from '../helpers/agents.js';

const report = (id: string): FinishReport => ({
  root: 'r',
  id,
  token: 't',
  outcome: 'SUCCESS',
  at: 1,
  claimFor: 'n1',
});

describe('Journal', () => {
  it('keeps appended ends in order across a reopen, without the freed-slot claim', async () => {
    const dir = tempDir();
    const journal = Journal.inDataDir(dir);
    await journal.append([report('1'), report('2')]);
    await journal.append([report('3')]);
    await journal.close();
    const again = Journal.inDataDir(dir);
    const sent: FinishReport[] = [];
    await again.replay(
      async (batch) => {
        sent.push(...batch);
        return batch.map(() => ({ state: 'SUCCESS', next: null, error: null }));
      },
      () => undefined,
    );
    expect(sent.map((r) => r.id)).to.deep.equal(['1', '2', '3']);
    expect(sent.every((r) => r.claimFor === undefined)).to.equal(true);
    expect(again.size).to.equal(0);
    expect(readFileSync(join(dir, 'journal.ndjson'), 'utf8')).to.equal('');
  });

  it('skips a line torn by a crash mid-write and keeps the whole ones', async () => {
    const dir = tempDir();
    const journal = Journal.inDataDir(dir);
    await journal.append([report('1')]);
    await journal.close();
    appendFileSync(join(dir, 'journal.ndjson'), '{"root":"r","id":"2","tok');
    const again = Journal.inDataDir(dir);
    expect(again.size).to.equal(1);
    expect(again.tornLines).to.equal(1);
  });

  it('keeps the entries Redis has not answered for when a replay fails, and reports refusals', async () => {
    const dir = tempDir();
    const journal = Journal.inDataDir(dir);
    await journal.append(Array.from({ length: 150 }, (_, i) => report(String(i))));
    let calls = 0;
    const refused: string[] = [];
    const failing = journal.replay(
      async (batch) => {
        if (++calls === 2) throw new UnavailableError('Redis is unavailable', 'REDIS_UNAVAILABLE');
        return batch.map((r) =>
          r.id === '7'
            ? new JobtreeError('NOT_RUNNING', 'settled')
            : {
                state: 'SUCCESS' as const,
                next: null,
                error: null,
              },
        );
      },
      (r) => refused.push(r.id),
    );
    await failing.then(
      () => expect.fail('replay should fail'),
      (err: Error) => expect(err.message).to.equal('Redis is unavailable'),
    );
    expect(refused).to.deep.equal(['7']);
    expect(journal.size).to.equal(50); // the first batch of 100 was answered
    await journal.close();
    expect(Journal.inDataDir(dir).size).to.equal(50);
  });

  it('replays the parts of the store that answer; a part that does not keeps its ends in order (§17)', async () => {
    const dir = tempDir();
    const journal = Journal.inDataDir(dir);
    // a Cluster's shards: trees a and c in part 0, tree b in part 1
    const of = (root: string, id: string): FinishReport => ({ ...report(id), root });
    await journal.append([of('a', 'a1'), of('b', 'b1'), of('c', 'c1'), of('b', 'b2')]);
    const partOf = (r: FinishReport) => (r.root === 'b' ? 1 : 0);
    const ok = { state: 'SUCCESS' as const, next: null, error: null };
    const away = new UnavailableError('Redis is unavailable', 'REDIS_UNAVAILABLE');
    const sent: string[] = [];
    const first = journal.replay(
      async (batch) => {
        sent.push(...batch.map((r) => r.id));
        return batch.map((r) => (partOf(r) === 1 ? away : ok));
      },
      () => undefined,
      partOf,
    );
    await first.then(
      () => expect.fail('a part still away: the replay must fail'),
      (err: Error) => expect(err).to.be.instanceOf(UnavailableError),
    );
    expect(sent).to.deep.equal(['a1', 'b1', 'c1', 'b2']);
    expect(journal.reports.map((r) => r.id)).to.deep.equal(['b1', 'b2']);
    await journal.close();
    const again = Journal.inDataDir(dir);
    expect(again.reports.map((r) => r.id)).to.deep.equal(['b1', 'b2']);
    const later: string[] = [];
    await again.replay(
      async (batch) => {
        later.push(...batch.map((r) => r.id));
        return batch.map(() => ok);
      },
      () => undefined,
      partOf,
    );
    expect(later).to.deep.equal(['b1', 'b2']);
    expect(again.size).to.equal(0);
  });

  it('sends no later end of a part after one of it was answered unavailable', async () => {
    const journal = Journal.inDataDir(tempDir());
    await journal.append(Array.from({ length: 150 }, (_, i) => report(String(i))));
    const sent: string[] = [];
    const away = new UnavailableError('Redis is unavailable', 'REDIS_UNAVAILABLE');
    await journal
      .replay(
        async (batch) => {
          sent.push(...batch.map((r) => r.id));
          return batch.map(() => away);
        },
        () => undefined,
      )
      .catch(() => undefined);
    expect(sent).to.have.length(100); // the first batch; the rest of that part waits behind it
    expect(journal.size).to.equal(150);
    await journal.close();
  });

  it('replays the ends appended while it runs, leaving none behind', async () => {
    const journal = Journal.inDataDir(tempDir());
    await journal.append([report('1')]);
    const sent: string[] = [];
    await journal.replay(
      async (batch) => {
        sent.push(...batch.map((r) => r.id));
        if (sent.length === 1) await journal.append([report('2')]); // an end journalled meanwhile
        return batch.map(() => ({ state: 'SUCCESS' as const, next: null, error: null }));
      },
      () => undefined,
    );
    expect(sent).to.deep.equal(['1', '2']);
    expect(journal.size).to.equal(0);
    await journal.close();
  });
});
