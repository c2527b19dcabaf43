/**
 * The cluster's definitions (SPEC §13): name, description, latest version,
 * and the last run with its state. Definitions change rarely; the list is
 * read when the page opens.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, type DefinitionRow } from '../api.js';
import { ago } from '../format.js';
import { Alert } from './alert.js';
import { StateBadge } from './state-badge.js';

export function DefinitionsView() {
  const [rows, setRows] = useState<DefinitionRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.definitions().then(
      (r) => setRows(r.definitions),
      (err: Error) => setError(err.message),
    );
  }, []);
  const now = Date.now();
  return (
    <section aria-labelledby="defs-title">
      <h1 id="defs-title">Definitions</h1>
      <Alert message={error} />
      {rows && rows.length === 0 && (
        <p class="empty">No definitions yet: jobtree defs apply FILE stores one.</p>
      )}
      {rows && rows.length > 0 && (
        <table class="definitions">
          <thead>
            <tr>
              <th scope="col">Definition</th>
              <th scope="col">Description</th>
              <th scope="col">Version</th>
              <th scope="col">Last run</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.name} data-definition={d.name}>
                <th scope="row">
                  <a href={`#/definitions/${encodeURIComponent(d.name)}`}>{d.name}</a>
                </th>
                <td>{d.description}</td>
                <td>{d.version}</td>
                <td>
                  {d.lastRun ? (
                    <>
                      <StateBadge state={d.lastRun.state} />{' '}
                      <a href={`#/trees/${d.lastRun.root}`}>{ago(d.lastRun.createdAt, now)}</a>
                    </>
                  ) : (
                    <span class="meta">never run</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
