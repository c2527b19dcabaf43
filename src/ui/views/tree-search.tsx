/**
 * Search a tree's jobs by title (SPEC §17): the server walks the whole
 * tree, so a job of a page not drawn (or a folded subtree) is found too.
 * Each match shows its state and node and opens its log.
 */
import { useState } from 'preact/hooks';
import type { FoundJob } from '../../shared/types.js';
import { api } from '../api.js';
import { openLog } from './job-row.js';
import { StateBadge } from './state-badge.js';

export function TreeSearch(props: { root: string; onError: (m: string) => void }) {
  const [text, setText] = useState('');
  const [found, setFound] = useState<{ jobs: FoundJob[]; more: boolean; text: string } | null>(
    null,
  );
  const [busy, setBusy] = useState(false);
  const search = async (e: Event) => {
    e.preventDefault();
    const wanted = text.trim();
    if (!wanted) return setFound(null);
    setBusy(true);
    try {
      setFound({ ...(await api.search(props.root, wanted)), text: wanted });
    } catch (err) {
      props.onError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="tree-search">
      <form role="search" onSubmit={(e) => void search(e)}>
        <input
          type="search"
          aria-label="Find jobs by title"
          placeholder="Find jobs by title"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy}>
          Find
        </button>
        {found && (
          <button
            type="button"
            onClick={() => {
              setFound(null);
              setText('');
            }}
          >
            Clear
          </button>
        )}
      </form>
      {found && (
        <div class="search-results" aria-label="Jobs found">
          <p class="meta">
            {found.jobs.length === 0
              ? `No job's title holds "${found.text}".`
              : `${found.jobs.length.toLocaleString()}${found.more ? '+' : ''} ${found.jobs.length === 1 ? 'job' : 'jobs'} with "${found.text}" in the title${found.more ? ' (the first shown)' : ''}`}
          </p>
          <ul>
            {found.jobs.map((j) => (
              <li key={j.id} data-found={j.id}>
                <StateBadge state={j.state} /> <span class="title">{j.title}</span>{' '}
                <span class="meta">
                  on <span class="node">{j.node}</span>
                </span>{' '}
                <button
                  type="button"
                  onClick={() => openLog(props.root, j.id)}
                  aria-label={`Log of ${j.title}`}
                >
                  Log
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
