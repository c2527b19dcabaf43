/**
 * docs/reference.md lists every route with its role (SPEC §18): the list
 * is checked against the access table of the code, so neither can change
 * without the other.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ROUTE_ACCESS } from '../../src/access/roles.js';

describe('access: the roles in docs/reference.md', () => {
  it('are the access table of the code, route for route', () => {
    const text = readFileSync(new URL('../../docs/reference.md', import.meta.url), 'utf8');
    const start = text.indexOf('<!-- roles:');
    expect(start).to.be.above(0);
    const lines = text.slice(start).split('\n').slice(1);
    const first = lines.findIndex((l) => l.startsWith('|'));
    const table = lines.slice(
      first,
      lines.findIndex((l, i) => i > first && !l.startsWith('|')),
    );
    const rows = table
      .filter((l) => l.startsWith('| `'))
      .map((l) => l.split('|').map((c) => c.trim()));
    const listed = Object.fromEntries(
      rows.map(([, route = '', role = '', job = '']) => [
        route.replace(/`/g, ''),
        { role, job: job !== '' },
      ]),
    );
    const code = Object.fromEntries(
      Object.entries(ROUTE_ACCESS).map(([route, a]) => [
        route,
        { role: a.role, job: a.job !== undefined },
      ]),
    );
    expect(listed).to.deep.equal(code);
  });
});
