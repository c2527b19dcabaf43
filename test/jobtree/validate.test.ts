/**
 * validateTreeSpec (SPEC §3): schema, limits, unique keys, params of known
 * types; each error names the first bad field by its path.
 */
import { expect } from 'chai';
import {
  validateTreeSpec,
  validateChildren,
  toDottedPath,
  type TypeCatalog,
} from '../../src/jobtree/validate.js';
import { ValidationError } from '../../src/shared/errors.js';
import { createRegistry } from '../../src/node-agent/job-types/builtins.js';
import { fixture } from '../helpers/fixtures.js';

const types: TypeCatalog = createRegistry({
  shell: { enabled: true, killGraceMs: 1000 },
}).catalog();

function pathOf(body: unknown): string | undefined {
  try {
    validateTreeSpec(body, types);
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return (err as ValidationError).path ?? '(none)';
  }
  throw new Error('expected a ValidationError');
}

function chain(depth: number): object {
  let job: Record<string, unknown> = { title: 'leaf', type: 'noop' };
  for (let i = 1; i < depth; i++) job = { title: `l${i}`, type: 'noop', children: [job] };
  return { job };
}

describe('jobtree.validateTreeSpec', () => {
  it('accepts the SPEC example tree', () => {
    expect(validateTreeSpec(fixture('two-level'), types).job.title).to.equal('Deploy shop v42');
  });

  it('converts JSON pointers to dotted paths', () => {
    expect(toDottedPath('/job/children/0/params')).to.equal('job.children[0].params');
    expect(toDottedPath('')).to.equal('');
  });

  it('names a missing title by its path', () => {
    expect(pathOf({ job: { type: 'noop', children: [{ type: 'noop' }] } })).to.equal('job.title');
    expect(pathOf({ job: { title: 'r', type: 'noop', children: [{ type: 'noop' }] } })).to.equal(
      'job.children[0].title',
    );
  });

  it('rejects unknown fields instead of dropping them', () => {
    expect(pathOf({ job: { title: 'r', type: 'noop', colour: 'red' } })).to.equal('job.colour');
    expect(pathOf({ job: { title: 'r', type: 'noop' }, extra: 1 })).to.equal('extra');
  });

  it('names a bad params field of a known type', () => {
    const body = {
      job: {
        title: 'r',
        type: 'noop',
        children: [{ title: 's', type: 'sleep', params: { ms: -1 } }],
      },
    };
    expect(pathOf(body)).to.equal('job.children[0].params.ms');
    expect(pathOf({ job: { title: 'r', type: 'sleep', params: {} } })).to.equal('job.params.ms');
  });

  it('rejects a type no node knows', () => {
    expect(pathOf({ job: { title: 'r', type: 'teleport' } })).to.equal('job.type');
  });

  it('rejects duplicate keys among siblings but not across levels', () => {
    const dup = {
      job: {
        title: 'r',
        type: 'noop',
        children: [
          { title: 'a', type: 'noop', key: 'k' },
          { title: 'b', type: 'noop', key: 'k' },
        ],
      },
    };
    expect(pathOf(dup)).to.equal('job.children[1].key');
    const ok = {
      job: {
        title: 'r',
        type: 'noop',
        key: 'k',
        children: [{ title: 'a', type: 'noop', key: 'k' }],
      },
    };
    expect(validateTreeSpec(ok, types).job.key).to.equal('k');
  });

  it('enforces the tag limits (16 tags, key alphabet, value length)', () => {
    const tags: Record<string, string> = {};
    for (let i = 0; i < 16; i++) tags[`t${i}`] = 'v';
    expect(
      validateTreeSpec({ tags, job: { title: 'r', type: 'noop' } }, types).tags,
    ).to.have.property('t15');
    expect(pathOf({ tags: { ...tags, t16: 'v' }, job: { title: 'r', type: 'noop' } })).to.equal(
      'tags',
    );
    expect(pathOf({ tags: { Bad: 'v' }, job: { title: 'r', type: 'noop' } })).to.equal('tags.Bad');
    expect(pathOf({ tags: { k: 'x'.repeat(257) }, job: { title: 'r', type: 'noop' } })).to.equal(
      'tags.k',
    );
    expect(pathOf({ tags: { k: '' }, job: { title: 'r', type: 'noop' } })).to.equal('tags.k');
  });

  it('accepts depth 64 and refuses depth 65', () => {
    expect(() => validateTreeSpec(chain(64), types)).not.to.throw();
    expect(pathOf(chain(65))).to.match(/^job(\.children\[0\])+$/);
  });

  it('refuses params over 64 KiB and titles over 200 characters', () => {
    const big = { job: { title: 'r', type: 'shell', params: { command: 'x'.repeat(65 * 1024) } } };
    expect(pathOf(big)).to.equal('job.params');
    expect(pathOf({ job: { title: 't'.repeat(201), type: 'noop' } })).to.equal('job.title');
  });

  it('accepts 100,000 jobs and refuses 100,001', () => {
    const children = Array.from({ length: 99_999 }, (_, i) => ({ title: `j${i}`, type: 'noop' }));
    expect(() =>
      validateTreeSpec({ job: { title: 'r', type: 'noop', children } }, types),
    ).not.to.throw();
    children.push({ title: 'one too many', type: 'noop' });
    expect(pathOf({ job: { title: 'r', type: 'noop', children } })).to.equal('job.children[99999]');
  });

  it('refuses absurd nesting before any recursive code sees it', () => {
    let v: unknown = 1;
    for (let i = 0; i < 10_000; i++) v = [v];
    expect(pathOf({ job: { title: 'r', type: 'noop', params: { v } } })).to.equal('(none)');
  });

  it('validates grafted children against the tree limit', () => {
    const body = {
      jobs: [
        { title: 'a', type: 'noop' },
        { title: 'b', type: 'noop' },
      ],
    };
    expect(validateChildren(body, types, 10, 1)).to.have.length(2);
    expect(() => validateChildren(body, types, 99_999, 1)).to.throw(ValidationError);
    expect(() => validateChildren({ jobs: [] }, types, 1, 1)).to.throw(ValidationError);
  });
});
