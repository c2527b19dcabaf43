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
      command: 'start --port 8080',
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
    const err = (f: () => unknown): ValidationError => {
      try {
        f();
      } catch (e) {
        return e as ValidationError;
      }
      throw new Error('expected a ValidationError');
    };
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
