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

const registry = createRegistry({ shell: { enabled: true, killGraceMs: 1000 } });
const pools = new Map([['deploys', 2]]);
const types: TypeCatalog = {
  paramsCheck: (type) => registry.paramsCheck(type),
  poolSlots: (name) => pools.get(name),
};

function pathOf(body: unknown): string | undefined {
  try {
    validateTreeSpec(body, types, 'n1');
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
    expect(validateTreeSpec(fixture('two-level'), types, 'n1').job.title).to.equal(
      'Deploy shop v42',
    );
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

  it('checks handlers at submission, naming the bad field (§15)', () => {
    const withUndo = (compensate: unknown) => ({
      job: { title: 'r', type: 'noop', children: [{ title: 'c', type: 'noop', compensate }] },
    });
    expect(pathOf(withUndo({ type: 'nope' }))).to.equal('job.children[0].compensate.type');
    expect(pathOf(withUndo({ params: {} }))).to.equal('job.children[0].compensate.type');
    expect(pathOf(withUndo({ type: 'sleep', params: { ms: 'x' } }))).to.match(
      /^job\.children\[0\]\.compensate\.params/,
    );
    expect(pathOf(withUndo({ type: 'noop', retry: { attempts: 2 } }))).to.equal(
      'job.children[0].compensate.retry',
    );
    const onFailure = (job: unknown) => ({ job: { title: 'r', type: 'noop' }, onFailure: job });
    expect(pathOf(onFailure({ title: 'n' }))).to.equal('onFailure.type');
    expect(
      pathOf(
        onFailure({
          title: 'n',
          type: 'noop',
          children: [{ title: 'p', type: 'noop', pool: 'deploys' }],
        }),
      ),
    ).to.equal('onFailure.children[0].pool');
    expect(pathOf(onFailure({ title: 'n', type: 'noop', compensate: { type: 'noop' } }))).to.equal(
      'onFailure.compensate',
    );
    expect(() =>
      validateTreeSpec(
        { ...withUndo({ type: 'noop', title: 'undo c' }), onFailure: { title: 'n', type: 'noop' } },
        types,
        'n1',
      ),
    ).not.to.throw();
  });

  it('checks retry policies at submission, naming the bad field (§14)', () => {
    const withRetry = (retry: unknown) => ({
      job: { title: 'r', type: 'noop', children: [{ title: 'c', type: 'noop', retry }] },
    });
    expect(pathOf(withRetry({ attempts: 21 }))).to.equal('job.children[0].retry.attempts');
    expect(pathOf(withRetry({ attempts: 0 }))).to.equal('job.children[0].retry.attempts');
    expect(
      pathOf(withRetry({ attempts: 2, backoff: { type: 'fixed', delayMs: 500, maxDelayMs: 100 } })),
    ).to.equal('job.children[0].retry.backoff.maxDelayMs');
    expect(pathOf(withRetry({ attempts: 2, on: ['ABORTED_BY_USER'] }))).to.equal(
      'job.children[0].retry.on[0]',
    );
    expect(pathOf(withRetry({ attempts: 2, backoff: { type: 'linear', delayMs: 1 } }))).to.equal(
      'job.children[0].retry.backoff.type',
    );
    expect(
      pathOf({ defaults: { retry: { attempts: 99 } }, job: { title: 'r', type: 'noop' } }),
    ).to.equal('defaults.retry.attempts');
    const good = withRetry({
      attempts: 3,
      backoff: { type: 'exponential', delayMs: 100 },
      on: ['EXIT'],
    });
    expect(validateTreeSpec(good, types, 'n1').job.children?.[0]?.retry?.attempts).to.equal(3);
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
    expect(validateTreeSpec(ok, types, 'n1').job.key).to.equal('k');
  });

  it('enforces the tag limits (16 tags, key alphabet, value length)', () => {
    const tags: Record<string, string> = {};
    for (let i = 0; i < 16; i++) tags[`t${i}`] = 'v';
    expect(
      validateTreeSpec({ tags, job: { title: 'r', type: 'noop' } }, types, 'n1').tags,
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
    expect(() => validateTreeSpec(chain(64), types, 'n1')).not.to.throw();
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
      validateTreeSpec({ job: { title: 'r', type: 'noop', children } }, types, 'n1'),
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
    expect(
      validateChildren(body, types, { existingJobs: 10, depth: 1, node: 'n1' }),
    ).to.have.length(2);
    expect(() =>
      validateChildren(body, types, { existingJobs: 99_999, depth: 1, node: 'n1' }),
    ).to.throw(ValidationError);
    expect(() =>
      validateChildren({ jobs: [] }, types, { existingJobs: 1, depth: 1, node: 'n1' }),
    ).to.throw(ValidationError);
  });
  it('refuses a graft of more than LIMITS.maxGraftJobs jobs, naming the first one over (§17)', () => {
    const leaf = (i: number) => ({ title: `g${i}`, type: 'noop' });
    // the limit counts nested jobs too: 250 parents of one child each is 500 jobs
    const nested = Array.from({ length: 250 }, (_, i) => ({ ...leaf(i), children: [leaf(i)] }));
    const target = { existingJobs: 5, depth: 1, node: 'n1' };
    expect(validateChildren({ jobs: nested }, types, target)).to.have.length(250);
    const over = [...nested, leaf(250)];
    const err = (() => {
      try {
        validateChildren({ jobs: over }, types, target);
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('expected a ValidationError');
    })();
    expect(err.path).to.equal('jobs[250]');
    expect(err.message).to.match(/at most 500 jobs/);
  });
});

describe('jobtree.validateTreeSpec: pools and the node a job goes to (§11, §12)', () => {
  it('names an unknown pool by its path with UNKNOWN_POOL', () => {
    const body = {
      job: { title: 'r', type: 'noop', children: [{ title: 'd', type: 'noop', pool: 'nope' }] },
    };
    const err = (() => {
      try {
        validateTreeSpec(body, types, 'n1');
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('expected a ValidationError');
    })();
    expect(err.code).to.equal('UNKNOWN_POOL');
    expect(err.path).to.equal('job.children[0].pool');
  });

  it('refuses poolSlots beyond the pool, and poolSlots without a pool', () => {
    expect(pathOf({ job: { title: 'r', type: 'noop', pool: 'deploys', poolSlots: 3 } })).to.equal(
      'job.poolSlots',
    );
    expect(pathOf({ job: { title: 'r', type: 'noop', poolSlots: 1 } })).to.equal('job.poolSlots');
    const ok = validateTreeSpec(
      { job: { title: 'r', type: 'noop', pool: 'deploys', poolSlots: 2 } },
      types,
      'n1',
    );
    expect(ok.job.pool).to.equal('deploys');
  });

  it('checks params against the type on the node each job inherits (§11)', () => {
    const seen: string[] = [];
    const onNodes: TypeCatalog = {
      paramsCheck: (type, node) => {
        seen.push(`${type}@${node}`);
        if (type !== 'deploy') return registry.paramsCheck(type);
        return node === 'old' ? (p) => (p.v === 1 ? null : { path: 'v', message: 'want 1' }) : null;
      },
      poolSlots: () => undefined,
    };
    const body = {
      job: {
        title: 'r',
        type: 'noop',
        children: [
          { title: 'a', type: 'deploy', node: 'old', params: { v: 2 } },
          {
            title: 'b',
            type: 'noop',
            node: 'new',
            children: [{ title: 'c', type: 'deploy', params: { v: 2 } }],
          },
        ],
      },
    };
    expect(() => validateTreeSpec(body, onNodes, 'n1')).to.throw(
      ValidationError,
      'job.children[0].params.v',
    );
    seen.length = 0;
    body.job.children[0]!.params = { v: 1 };
    validateTreeSpec(body, onNodes, 'n1');
    expect(seen).to.deep.equal(['noop@n1', 'deploy@old', 'noop@new', 'deploy@new']);
  });

  it('answers UNKNOWN_TYPE for a type no node that could run the job knows', () => {
    try {
      validateTreeSpec({ job: { title: 'r', type: 'nosuch', node: '*' } }, types, 'n1');
      expect.fail('accepted an unknown type');
    } catch (err) {
      expect((err as ValidationError).code).to.equal('UNKNOWN_TYPE');
      expect((err as ValidationError).path).to.equal('job.type');
    }
  });
});
