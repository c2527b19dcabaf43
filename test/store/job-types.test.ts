/**
 * Registered job types in the store (SPEC §11): immutable numbered versions
 * with their sha256; the same source again is no new version; two
 * registrations at once both get a version and the later one is latest;
 * removal, and numbers that never name two sources.
 */
import { expect } from 'chai';
import { NotFoundError } from '../../src/shared/errors.js';
import { sha256Of } from '../../src/shared/sha256.js';
import { makeStore } from '../helpers/store.js';

const meta = (source: string) => ({
  sha256: sha256Of(source),
  at: 1,
  paramsSchema: { type: 'object' },
});

describe('store.jobTypes', () => {
  it('numbers versions, keeps their sha256, and answers the same source with the same version', async () => {
    const store = makeStore();
    const r0 = await store.jobTypes.revision();
    expect(await store.jobTypes.register('deploy', 'v1', meta('v1'))).to.deep.equal({
      version: 1,
      created: true,
    });
    expect(await store.jobTypes.register('deploy', 'v1', meta('v1'))).to.deep.equal({
      version: 1,
      created: false,
    });
    expect(await store.jobTypes.register('deploy', 'v2', meta('v2'))).to.deep.equal({
      version: 2,
      created: true,
    });
    const [t] = await store.jobTypes.list();
    expect(t!.latest).to.include({ version: 2, sha256: sha256Of('v2') });
    expect(t!.versions.map((v) => v.version)).to.deep.equal([1, 2]);
    expect(await store.jobTypes.source('deploy', 2)).to.equal('v2');
    expect(await store.jobTypes.source('deploy', 1)).to.equal(null); // only the latest is loadable
    expect(await store.jobTypes.revision()).to.equal(r0 + 2);
  });

  it('keeps a params schema exactly as registered, empty lists and key order too', async () => {
    const store = makeStore();
    const paramsSchema = {
      type: 'object',
      required: [],
      properties: { z: { enum: ['b', 'a'] }, a: {} },
    };
    await store.jobTypes.register('exact', 'src', { sha256: sha256Of('src'), at: 5, paramsSchema });
    const [t] = await store.jobTypes.list();
    expect(JSON.stringify(t!.latest.paramsSchema)).to.equal(JSON.stringify(paramsSchema));
  });

  it('gives two registrations at once distinct versions; the later is the latest', async () => {
    const store = makeStore();
    const answers = await Promise.all(
      ['a', 'b', 'c', 'd'].map((s) => store.jobTypes.register('race', s, meta(s))),
    );
    expect(answers.map((a) => a.version).sort()).to.deep.equal([1, 2, 3, 4]);
    const [t] = await store.jobTypes.list();
    const last = answers.find((a) => a.version === 4)!;
    expect(t!.latest.version).to.equal(last.version);
    expect(await store.jobTypes.source('race', 4)).to.equal(
      ['a', 'b', 'c', 'd'][answers.indexOf(last)],
    );
  });

  it('removes a type, and never gives its old numbers to a new source', async () => {
    const store = makeStore();
    await store.jobTypes.register('gone', 'x', meta('x'));
    await store.jobTypes.remove('gone');
    expect(await store.jobTypes.list()).to.deep.equal([]);
    expect(await store.jobTypes.remove('gone').catch((e: unknown) => e)).to.be.instanceOf(
      NotFoundError,
    );
    expect((await store.jobTypes.register('gone', 'y', meta('y'))).version).to.equal(2);
  });
});
