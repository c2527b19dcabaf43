/**
 * Expanding a definition's tree (SPEC §13): typed whole-string
 * placeholders, text inside strings, `$each` (nested), `$${` escapes,
 * errors naming the path in the definition, and the PUT-time references
 * and specimens.
 */
import { expect } from 'chai';
import { collectReferences, definitionPath, expandTree } from '../../src/jobtree/expand.js';
import { declaredAt, specimenOf } from '../../src/jobtree/specimen.js';
import { ValidationError } from '../../src/shared/errors.js';

/** The ValidationError `f` throws. */
function err(f: () => unknown): ValidationError {
  try {
    f();
  } catch (e) {
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

const deployShop = {
  tags: { application: 'shop' },
  job: {
    title: 'Deploy shop ${params.version}',
    type: 'noop',
    children: [
      {
        $each: 'params.hosts',
        as: 'h',
        job: {
          title: 'start on ${h}',
          type: 'shell',
          node: '${h}',
          params: { command: 'start --port ${params.port}', port: '${params.port}', lit: '$${h}' },
        },
      },
      { title: 'warm', type: 'sleep', params: { ms: '${params.warmMs}' } },
    ],
  },
};

describe('jobtree.expandTree', () => {
  it('keeps a whole-string placeholder typed and puts text inside longer strings', () => {
    const { tree } = expandTree(deployShop, {
      version: 43,
      hosts: ['web-1', 'web-2'],
      port: 8080,
      warmMs: 5,
    });
    const job = tree.job as { title: string; children: Array<Record<string, unknown>> };
    expect(job.title).to.equal('Deploy shop 43');
    expect(job.children).to.have.length(3);
    expect(job.children[0]).to.deep.include({ title: 'start on web-1', node: 'web-1' });
    expect(job.children[1]).to.deep.include({ title: 'start on web-2', node: 'web-2' });
    expect(job.children[0]!.params).to.deep.equal({
      command: "start --port '8080'", // a shell command: the placeholder is one word (§18)
      port: 8080,
      lit: '${h}',
    });
    expect(job.children[2]!.params).to.deep.equal({ ms: 5 });
    expect(tree.tags).to.deep.equal({ application: 'shop' });
  });

  it('expands nested $each with ${h.field} and maps expanded paths back to the definition', () => {
    const def = {
      job: {
        title: 'r',
        type: 'noop',
        children: [
          {
            $each: 'params.regions',
            as: 'r',
            job: {
              title: '${r.name}',
              type: 'noop',
              children: [
                { $each: 'r.hosts', as: 'h', job: { title: '${r.name}/${h}', type: 'noop' } },
              ],
            },
          },
        ],
      },
    };
    const { tree, origin } = expandTree(def, {
      regions: [
        { name: 'eu', hosts: ['a', 'b'] },
        { name: 'us', hosts: ['c'] },
      ],
    });
    const kids = (
      tree.job as { children: Array<{ title: string; children: Array<{ title: string }> }> }
    ).children;
    expect(kids.map((k) => k.title)).to.deep.equal(['eu', 'us']);
    expect(kids[0]!.children.map((k) => k.title)).to.deep.equal(['eu/a', 'eu/b']);
    expect(definitionPath('job.children[1].children[0].params.x', origin)).to.equal(
      'tree.job.children[0].job.children[0].job.params.x',
    );
    expect(definitionPath('job.title', origin)).to.equal('tree.job.title');
    expect(definitionPath('tags.k', origin)).to.equal('tree.tags.k');
  });

  it('names the definition path of a placeholder that is not set or not a list', () => {
    expect(err(() => expandTree(deployShop, { hosts: [] })).path).to.equal('tree.job.title');
    expect(err(() => expandTree(deployShop, { version: 1, hosts: 'web-1' })).path).to.equal(
      'tree.job.children[0].$each',
    );
    expect(
      err(() => expandTree({ job: { $each: 'params.x', as: 'h', job: {} } }, {})).path,
    ).to.equal('tree.job');
  });
});

describe('jobtree.collectReferences and specimens', () => {
  it('lists every params placeholder with its definition path, and $each lists', () => {
    const refs = collectReferences(deployShop);
    expect(refs.map((r) => `${r.path.join('.')}@${r.at}${r.isList ? '[]' : ''}`)).to.deep.equal([
      'version@tree.job.title',
      'hosts@tree.job.children[0].$each[]',
      'port@tree.job.children[0].job.params.command',
      'port@tree.job.children[0].job.params.port',
      'warmMs@tree.job.children[1].params.ms',
    ]);
  });

  it('refuses a placeholder naming neither params nor a loop variable in scope', () => {
    expect(() => collectReferences({ job: { title: '${h}', type: 'noop' } })).to.throw(
      ValidationError,
      'tree.job.title',
    );
  });

  it('builds specimens from default, enum, examples, then the JSON type', () => {
    const schema = {
      type: 'object',
      properties: {
        version: { type: 'integer', minimum: 1 },
        env: { enum: ['prod', 'staging'] },
        url: { type: 'string', examples: ['https://example.org'] },
        hosts: { type: 'array', items: { type: 'string' } },
        warmMs: { type: 'integer', default: 200 },
        dry: { type: 'boolean' },
      },
    };
    expect(specimenOf(schema)).to.deep.equal({
      version: 1,
      env: 'prod',
      url: 'https://example.org',
      hosts: ['x'],
      warmMs: 200,
      dry: false,
    });
    expect(declaredAt(schema, ['hosts'])).to.deep.equal({
      type: 'array',
      items: { type: 'string' },
    });
    expect(declaredAt(schema, ['nope'])).to.equal(undefined);
  });
});

describe('jobtree.expandTree, hostile (§18)', () => {
  it('shell-quotes placeholders in a shell command, and only there; ${raw:…} opts out', () => {
    const evil = "1.0; id > file #'";
    const { tree } = expandTree(
      {
        job: {
          title: 'v ${params.v}',
          type: 'shell',
          params: {
            command: 'deploy --version ${params.v} ${raw:params.flags}',
            argv: ['${params.v}'],
            env: { V: '${params.v}' },
          },
          compensate: { type: 'shell', params: { command: 'undo ${params.v}' } },
          children: [
            { title: 'whole', type: 'shell', params: { command: '${params.v}' } },
            { title: 'raw', type: 'shell', params: { command: '${raw:params.v}' } },
            { title: 'not shell', type: 'noop', params: { command: '${params.v}' } },
          ],
        },
      },
      { v: evil, flags: '--fast --quiet' },
    );
    interface Shell {
      title: string;
      params: { command: string; argv?: string[]; env?: Record<string, string> };
    }
    const job = tree.job as Shell & { compensate: Shell; children: Shell[] };
    const quoted = `'1.0; id > file #'\\''`;
    expect(job.params.command).to.equal(`deploy --version ${quoted}' --fast --quiet`);
    expect(job.params.argv).to.deep.equal([evil]); // no shell reads argv
    expect(job.params.env).to.deep.equal({ V: evil });
    expect(job.title).to.equal(`v ${evil}`);
    expect(job.compensate.params.command).to.equal(`undo ${quoted}'`);
    expect(job.children[0]!.params.command).to.equal(`${quoted}'`);
    expect(job.children[1]!.params.command).to.equal(evil);
    expect(job.children[2]!.params.command).to.equal(evil);
  });

  it('counts jobs as it expands and stops past the tree limit, naming the $each (TOO_LARGE)', () => {
    const items = Array.from({ length: 2000 }, (_, i) => i);
    const def = {
      job: {
        title: 'r',
        type: 'noop',
        children: [
          {
            $each: 'params.a',
            as: 'x',
            job: {
              title: 'x',
              type: 'noop',
              children: [{ $each: 'params.a', as: 'y', job: { title: 'y', type: 'noop' } }],
            },
          },
        ],
      },
    };
    const e = err(() => expandTree(def, { a: items }));
    expect(e.code).to.equal('TOO_LARGE');
    expect(e.path).to.equal('tree.job.children[0].job.children[0].job');
  });

  it('stops when the expanded tree would be larger than a submission, naming where', () => {
    const big = 'x'.repeat(60 * 1024);
    const def = {
      job: {
        title: 'r',
        type: 'noop',
        children: [
          {
            $each: 'params.n',
            as: 'i',
            job: { title: 't', type: 'noop', params: { p: '${params.big}' } },
          },
        ],
      },
    };
    const e = err(() => expandTree(def, { big, n: Array.from({ length: 1000 }, (_, i) => i) }));
    expect(e.code).to.equal('TOO_LARGE');
    expect(e.path).to.match(/^tree\.job\.children\[0\]\.job/);
  });

  it('keeps specimens small whatever the schema asks (§18)', () => {
    expect(
      specimenOf({ type: 'array', minItems: 1e8, items: { type: 'string', minLength: 1e9 } }),
    ).to.deep.equal(['x'.repeat(64), 'x'.repeat(64), 'x'.repeat(64)]);
    let nested: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 30; i++) nested = { type: 'array', minItems: 3, items: nested };
    const count = (v: unknown): number =>
      Array.isArray(v) ? 1 + v.reduce((n: number, x) => n + count(x), 0) : 1;
    expect(count(specimenOf(nested))).to.be.at.most(10_001); // 3^30 without the budget
  });
});
