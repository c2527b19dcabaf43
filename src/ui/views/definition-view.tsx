/**
 * One definition (SPEC §13): what it is, a Run form from its params
 * schema, its last runs (live: a status event for one of them, or a new
 * run, rereads the list), its inbox of waiting messages, and its versions
 * with the diff between two.
 */
import { useEffect, useState } from 'preact/hooks';
import type { TreeSummary } from '../../shared/types.js';
import { api, type Definition } from '../api.js';
import { ago } from '../format.js';
import { getSocket, onConnected } from '../socket.js';
import { Alert } from './alert.js';
import { RunForm } from './run-form.js';
import { StateBadge } from './state-badge.js';
import { VersionDiff } from './version-diff.js';

interface Page {
  def: Definition;
  versions: number[];
  runs: TreeSummary[];
  messages: Array<{ id: string; params: unknown; postedAt: number }>;
}

async function load(name: string): Promise<Page> {
  const [def, versions, runs, messages] = await Promise.all([
    api.definition(name),
    api.versions(name),
    api.runs(name),
    api.messages(name),
  ]);
  return {
    def,
    versions: versions.versions.map((v) => v.version),
    runs: runs.runs,
    messages: messages.messages,
  };
}

export function DefinitionView(props: { name: string }) {
  const [page, setPage] = useState<Page | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = () => load(props.name).then(setPage, (err: Error) => setError(err.message));
  useEffect(() => {
    void reload();
    const s = getSocket();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // a state change of a root (a run starting or ending) or a new tree (maybe a new run)
    const onStatus = (e: { root: string; job: string; prev: string | null }) => {
      if (e.root !== e.job && e.prev !== null) return;
      timer ??= setTimeout(() => {
        timer = undefined;
        void reload();
      }, 250);
    };
    s.on('status', onStatus);
    const off = onConnected(s, () => s.emit('status:subscribe', {}));
    return () => {
      off();
      clearTimeout(timer);
      s.off('status', onStatus);
      s.emit('status:unsubscribe', {});
    };
  }, [props.name]);
  if (!page) return <Alert message={error} />;
  const { def } = page;
  const now = Date.now();
  return (
    <section class="definition" aria-labelledby="def-title">
      <h1 id="def-title">
        {def.name} <span class="meta">version {def.version}</span>
      </h1>
      <p>{def.description}</p>
      {def.maxConcurrentRuns && <p class="meta">at most {def.maxConcurrentRuns} run(s) at once</p>}
      <Alert message={error} />
      <div class="definition-grid">
        <div>
          <h2>Run</h2>
          <RunForm def={def} onQueued={() => void reload()} />
          <h2>Waiting messages</h2>
          {page.messages.length === 0 ? (
            <p class="empty">none</p>
          ) : (
            <ol class="inbox">
              {page.messages.map((m) => (
                <li key={m.id} data-message={m.id}>
                  <code>{JSON.stringify(m.params)}</code>{' '}
                  <span class="meta">{ago(m.postedAt, now)}</span>{' '}
                  <button onClick={() => void api.withdraw(def.name, m.id).then(reload)}>
                    Withdraw
                  </button>
                </li>
              ))}
            </ol>
          )}
        </div>
        <div>
          <h2>Runs</h2>
          {page.runs.length === 0 ? (
            <p class="empty">not run yet</p>
          ) : (
            <table class="runs">
              <tbody>
                {page.runs.map((r) => (
                  <tr key={r.root} data-run={r.root}>
                    <td>
                      <StateBadge state={r.state} paused={r.paused} />
                    </td>
                    <td>
                      <a href={`#/trees/${r.root}`}>{r.title}</a>
                    </td>
                    <td class="meta">{ago(r.createdAt, now)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
      <VersionDiff name={def.name} versions={page.versions} />
    </section>
  );
}
