/**
 * SPEC §10: a job's log path is built only from validated ids and never
 * leaves `<dataDir>/logs`, whatever a request passes as an id.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { logPath } from '../../src/logstream/log-file.js';
import { ValidationError } from '../../src/shared/errors.js';

describe('logPath', () => {
  const dataDir = '/var/lib/jobtree';
  const root = randomUUID();
  const id = randomUUID();

  it('places a log under <dataDir>/logs/<root>/<job>.log, ids lower-cased', () => {
    expect(logPath(dataDir, root.toUpperCase(), id)).to.equal(
      join(resolve(dataDir), 'logs', root, `${id}.log`),
    );
  });

  it('refuses anything that is not a UUID before building a path', () => {
    const hostile = [
      '../../etc/passwd',
      `${root}/../../x`,
      '..',
      '',
      `${root}\u0000`,
      '/etc/passwd',
      `..%2F${root}`,
      root.replace(/-/g, ''),
    ];
    for (const bad of hostile) {
      expect(() => logPath(dataDir, bad, id), bad).to.throw(ValidationError);
      expect(() => logPath(dataDir, root, bad), bad).to.throw(ValidationError);
    }
  });
});
