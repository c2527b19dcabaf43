/**
 * The pure parts of the definitions UI (SPEC §13): the Run form's fields
 * from a params schema and the params it gives, the field a 400 names, and
 * the line diff between two versions of a tree.
 */
import { expect } from 'chai';
import { diffLines } from '../../src/ui/line-diff.js';
import { fieldOfPath, fieldsOf, paramsOf } from '../../src/ui/params-form.js';

const schema = {
  type: 'object',
  required: ['version', 'hosts'],
  properties: {
    version: { type: 'integer' },
    hosts: { type: 'array', items: { type: 'string' } },
    env: { enum: ['prod', 'staging'], default: 'staging' },
    dry: { type: 'boolean' },
    note: { type: 'string', description: 'why' },
    extra: { type: 'object' },
  },
};

describe('ui: the Run form of a definition', () => {
  it('makes one field per property, of the kind its schema says', () => {
    const fields = fieldsOf(schema);
    expect(fields.map((f) => [f.name, f.kind, f.required])).to.deep.equal([
      ['version', 'integer', true],
      ['hosts', 'list', true],
      ['env', 'enum', false],
      ['dry', 'boolean', false],
      ['note', 'string', false],
      ['extra', 'json', false],
    ]);
    expect(fields[2]).to.include({ initial: 'staging' });
    expect(fields[2]!.options).to.deep.equal(['prod', 'staging']);
    expect(fields[4]!.hint).to.equal('why');
  });

  it('gives typed params, leaving out empty optional fields so defaults apply', () => {
    const fields = fieldsOf(schema);
    expect(
      paramsOf(fields, { version: '43', hosts: 'web-1\n web-2 \n', dry: 'true', extra: '{"a":1}' }),
    ).to.deep.equal({
      version: 43,
      hosts: ['web-1', 'web-2'],
      env: 'staging',
      dry: true,
      extra: { a: 1 },
    });
    // a number that is not one goes as typed, for the server's 400 to name
    expect(paramsOf(fields, { version: 'forty', hosts: 'a' }).version).to.equal('forty');
  });

  it('finds the field a 400 path names', () => {
    expect(fieldOfPath('params.hosts[1]')).to.equal('hosts');
    expect(fieldOfPath('params.version')).to.equal('version');
    expect(fieldOfPath('tags.x')).to.equal(undefined);
  });
});

describe('ui: line diff', () => {
  it('keeps common lines and marks removed and added ones in order', () => {
    expect(diffLines('a\nb\nc', 'a\nx\nc\nd')).to.deep.equal([
      { op: ' ', text: 'a' },
      { op: '-', text: 'b' },
      { op: '+', text: 'x' },
      { op: ' ', text: 'c' },
      { op: '+', text: 'd' },
    ]);
    expect(diffLines('same', 'same')).to.deep.equal([{ op: ' ', text: 'same' }]);
  });
});
