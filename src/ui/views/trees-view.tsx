/**
 * The cluster's trees, newest first, filtered by tags and state and paged
 * with the API's cursor. Rows follow the status events: an event for a tree
 * on this page (or a new tree, on the first page) refetches the page.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { TreeSummary } from '../../shared/types.js';
import { api } from '../api.js';
import { ago, duration } from '../format.js';
import { getSocket, onConnected } from '../socket.js';
import { StateBadge } from './state-badge.js';
import { Alert } from './alert.js';
import { AllLogs } from './all-logs.js';

const PAGE = 25;
const STATES = ['RUNNING', 'SUCCESS', 'FAILED', 'ABORTED'];

/** `app:shop version:42` → tag params (the server names a malformed one in a 400). */
function tagsOf(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

export function TreesView(props: { query: URLSearchParams }) {
  const tags = props.query.getAll('tag');
  const state = props.query.get('state') ?? '';
  const [tagText, setTagText] = useState(tags.join(' '));
  const [stateSel, setStateSel] = useState(state);
  const [cursors, setCursors] = useState<string[]>([]); // cursors of the pages before this one
  const [cursor, setCursor] = useState<string | null>(null);
  const [page, setPage] = useState<{ trees: TreeSummary[]; next: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(Date.now());
  const shown = useRef(new Set<string>());

  const load = async () => {
    const q = new URLSearchParams();
    for (const t of tags) q.append('tag', t);
    if (state) q.set('state', state);
    q.set('limit', String(PAGE));
    if (cursor) q.set('cursor', cursor);
    try {
      const p = await api.trees(q);
      shown.current = new Set(p.trees.map((t) => t.root));
      setPage(p);
      setError(null);
      setNow(Date.now());
    } catch (err) {
      setError((err as Error).message);
    }
  };

  useEffect(() => {
    void load();
    const s = getSocket();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // a paused or resumed tree (`tree:paused`, no prev) matters only when shown
    const onStatus = (e: { root: string; prev?: string | null }) => {
      const relevant = shown.current.has(e.root) || (cursor === null && e.prev === null);
      if (!relevant || timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void load();
      }, 250);
    };
    s.on('status', onStatus);
    s.on('tree:paused', onStatus);
    const off = onConnected(s, () => s.emit('status:subscribe', {}));
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => {
      off();
      s.off('status', onStatus);
      s.off('tree:paused', onStatus);
      s.emit('status:unsubscribe', {});
      clearTimeout(timer);
      clearInterval(tick);
    };
  }, [props.query.toString(), cursor]);

  const apply = (e: Event) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const t of tagsOf(tagText)) q.append('tag', t);
    if (stateSel) q.set('state', stateSel);
    setCursors([]);
    setCursor(null);
    location.hash = `#/?${q}`;
  };

  return (
    <section aria-labelledby="trees-title">
      <h1 id="trees-title">Trees</h1>
      <form class="filters" onSubmit={apply} role="search">
        <label>
          Tags
          <input
            name="tags"
            placeholder="application:shop version:42"
            value={tagText}
            onInput={(e) => setTagText((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          State
          <select
            name="state"
            value={stateSel}
            onChange={(e) => setStateSel((e.target as HTMLSelectElement).value)}
          >
            <option value="">any</option>
            {STATES.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
        {tags.length > 0 && (
          <a
            class="button"
            href={`#/logs?${tags.map((t) => `tag=${encodeURIComponent(t)}`).join('&')}`}
          >
            Follow all logs
          </a>
        )}
      </form>
      <Alert message={error} />
      {page && page.trees.length === 0 && <p class="empty">No trees match.</p>}
      {page && page.trees.length > 0 && (
        <table class="trees">
          <thead>
            <tr>
              <th scope="col">State</th>
              <th scope="col">Tree</th>
              <th scope="col">Tags</th>
              <th scope="col">Jobs</th>
              <th scope="col">Created</th>
              <th scope="col">Took</th>
            </tr>
          </thead>
          <tbody>
            {page.trees.map((t) => (
              <tr key={t.root} data-root={t.root}>
                <td>
                  <StateBadge state={t.state} paused={t.paused} />
                </td>
                <td>
                  <a href={`#/trees/${t.root}`}>{t.title}</a>
                  {t.handlerOf !== undefined && (
                    <a
                      class="handler-of"
                      href={`#/trees/${t.handlerOf}`}
                      title="the tree it handles"
                    >
                      {' '}
                      ↩ handles a tree
                    </a>
                  )}
                  {t.summary && <div class="summary">{t.summary}</div>}
                </td>
                <td>
                  {Object.entries(t.tags).map(([k, v]) => (
                    <a class="tag" href={`#/?tag=${encodeURIComponent(`${k}:${v}`)}`}>
                      {k}:{v}
                    </a>
                  ))}
                </td>
                <td class="counts">
                  {Object.entries(t.counts)
                    .filter(([, n]) => n)
                    .map(([s, n]) => (
                      <span class={`count state-${s}`} title={s}>
                        {n} {s.toLowerCase()}
                      </span>
                    ))}
                </td>
                <td title={new Date(t.createdAt).toLocaleString()}>{ago(t.createdAt, now)}</td>
                <td>{duration((t.finishedAt ?? now) - t.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length === 0 && cursor === null}
          onClick={() => {
            const prev = [...cursors];
            setCursor(prev.pop() ?? null);
            setCursors(prev);
          }}
        >
          Newer
        </button>
        <button
          type="button"
          disabled={!page?.next}
          onClick={() => {
            if (!page?.next) return;
            setCursors([...cursors, ...(cursor ? [cursor] : [])]);
            setCursor(page.next);
          }}
        >
          Older
        </button>
      </nav>
    </section>
  );
}

/**
 * Every log of every tree of a tag query, live in one stream (SPEC §19):
 * the trees list's "Follow all logs"; a tree submitted later joins it.
 */
export function TagLogs(props: { query: URLSearchParams }) {
  const tags: Record<string, string> = {};
  for (const t of props.query.getAll('tag')) {
    const i = t.indexOf(':');
    if (i > 0) tags[t.slice(0, i)] = t.slice(i + 1);
  }
  const list = props.query.getAll('tag');
  return (
    <section aria-labelledby="logs-title">
      <p>
        <a href={`#/?${list.map((t) => `tag=${encodeURIComponent(t)}`).join('&')}`}>← Trees</a>
      </p>
      <h1 id="logs-title">All logs of {list.join(' ')}</h1>
      {list.length === 0 ? (
        <p class="empty">Name a tag query first.</p>
      ) : (
        <AllLogs scope={{ tags }} />
      )}
    </section>
  );
}
