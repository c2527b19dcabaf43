/**
 * Every node of the cluster: alive or dead, drained or not (with the
 * button that drains or undrains it, SPEC §16), heartbeat age, running and
 * queued jobs, concurrency, version and job types. Heartbeats are not
 * published, so this view reads /nodes every two seconds.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { NodeView } from '../../shared/types.js';
import { api } from '../api.js';
import { duration } from '../format.js';
import { Alert } from './alert.js';

export function NodesView() {
  const [nodes, setNodes] = useState<NodeView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useRef<() => Promise<unknown>>(async () => undefined);
  useEffect(() => {
    let stopped = false;
    const load = () =>
      api
        .nodes()
        .then((r) => !stopped && (setNodes(r.nodes), setError(null)))
        .catch((err: Error) => !stopped && setError(err.message));
    reload.current = load;
    void load();
    const timer = setInterval(() => void load(), 2000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, []);
  const toggleDrain = (n: NodeView) =>
    api
      .setDrain(n.name, n.state === 'active')
      .then(() => reload.current())
      .catch((err: Error) => setError(err.message));
  return (
    <section aria-labelledby="nodes-title">
      <h1 id="nodes-title">Nodes</h1>
      <Alert message={error} />
      {nodes && (
        <table class="nodes">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Status</th>
              <th scope="col">Last heartbeat</th>
              <th scope="col">Running</th>
              <th scope="col">Queued</th>
              <th scope="col">Slots (free)</th>
              <th scope="col">Version</th>
              <th scope="col">Job types</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map((n) => (
              <tr key={n.name} data-node={n.name}>
                <th scope="row">
                  <a href={n.url}>{n.name}</a>
                </th>
                <td>
                  <span class={`badge ${n.alive ? 'state-SUCCESS' : 'state-FAILED'}`}>
                    {n.alive ? 'alive' : 'dead'}
                  </span>{' '}
                  {n.state && n.state !== 'active' && (
                    <span class="badge state-ABORTED">{n.state}</span>
                  )}{' '}
                  <button
                    type="button"
                    onClick={() => void toggleDrain(n)}
                    aria-label={`${n.state === 'active' ? 'Drain' : 'Undrain'} ${n.name}`}
                  >
                    {n.state === 'active' ? 'Drain' : 'Undrain'}
                  </button>
                </td>
                <td>{n.heartbeatAgeMs === null ? 'never' : `${duration(n.heartbeatAgeMs)} ago`}</td>
                <td>{n.running}</td>
                <td>{n.queued}</td>
                <td>
                  {n.concurrency} ({n.free ?? '-'})
                </td>
                <td>{n.version}</td>
                <td>
                  <TypeList node={n} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/**
 * A node's job types: plugin ones with the version it runs (SPEC §11), and
 * a version that failed to load marked with its error.
 */
function TypeList({ node }: { node: NodeView }) {
  const entries = Object.entries(node.typeVersions ?? {});
  if (entries.length === 0) return <>{node.types.join(', ')}</>;
  return (
    <>
      {entries.map(([name, t], i) => (
        <span key={name} class={t.error ? 'type-error' : undefined} title={t.error}>
          {i > 0 ? ', ' : ''}
          {t.source === 'builtin' ? name : `${name}@${t.version ?? '?'}`}
          {t.error ? ' (failed to load)' : ''}
        </span>
      ))}
    </>
  );
}
