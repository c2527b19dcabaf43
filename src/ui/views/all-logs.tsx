/**
 * All the logs of a tree, or of every tree of a tag query, in one live
 * stream (SPEC §19's merged tail): each line prefixed with its job and
 * node, a job's lines in a colour of their own, filters by job, node,
 * source and text, a click on a line opening that job's log at it, and a
 * scroll that follows the stream until the reader scrolls up. After a
 * dropped connection it resubscribes after the last line it showed of each
 * job (TailReader, the core the CLI shares): nothing twice, nothing lost.
 * A search box finds text in the whole logs of a tree, on every node.
 * Lines go straight into the DOM, the oldest dropped past MAX_LINES.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { TailReader, type TailLineView } from '../../jobtree/live-tail.js';
import { api, type LogMatch } from '../api.js';
import { getSocket, onConnected } from '../socket.js';
import { parseLine } from '../log-lines.js';

/** Lines kept on the page; the oldest go past it. */
const MAX_LINES = 20_000;
/** Colours a job's lines can take, in turn (styles.css `.job-c<n>`). */
const COLOURS = 10;

export type LogScope = { root: string } | { tags: Record<string, string> };

interface Filters {
  job: string;
  node: string;
  source: string;
  text: string;
}

/** Opens a job's log at a line (its byte offset), on its tree's page. */
function openAt(root: string, job: string, offset: number): void {
  location.hash = `#/trees/${root}?log=${job}&at=${offset}`;
}

/** The reader is at the end of the stream (within a line of it). */
function nearEnd(el: HTMLElement): boolean {
  return el.scrollHeight - el.scrollTop - el.clientHeight < 24;
}

function hides(el: HTMLElement, f: Filters): boolean {
  const d = el.dataset;
  return (
    (f.job !== '' && d.job !== f.job) ||
    (f.node !== '' && d.node !== f.node) ||
    (f.source !== '' && d.source !== f.source) ||
    (f.text !== '' && !(d.text ?? '').includes(f.text))
  );
}

function lineElement(l: TailLineView, rank: number, f: Filters): HTMLElement {
  const text = parseLine(`${l.at} ${l.source} ${l.text}`).text; // control sequences dropped
  const el = document.createElement('div');
  el.className = `line src-${l.source}${l.archived ? ' archived' : ''}`;
  Object.assign(el.dataset, {
    job: l.job,
    node: l.node,
    source: l.source,
    text: text.toLowerCase(),
    root: l.root,
    offset: String(l.offset),
  });
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = l.at.slice(11, 23);
  time.title = l.at;
  const who = document.createElement('span');
  who.className = `who job-c${rank % COLOURS}`;
  who.textContent = `${l.title}@${l.node}`;
  who.title = l.archived ? 'from the archive: its node is gone' : `job ${l.job}`;
  const src = document.createElement('span');
  src.className = 'src';
  src.textContent = l.source;
  el.append(time, who, src, document.createTextNode(text));
  el.hidden = hides(el, f);
  return el;
}

export function AllLogs(props: { scope: LogScope }) {
  const box = useRef<HTMLDivElement>(null);
  const follow = useRef(true);
  const filters = useRef<Filters>({ job: '', node: '', source: '', text: '' });
  const [following, setFollowing] = useState(true);
  const [jobs, setJobs] = useState<Array<{ id: string; title: string }>>([]);
  const [nodes, setNodes] = useState<string[]>([]);
  const [ended, setEnded] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [shown, setShown] = useState(0);
  const key = JSON.stringify(props.scope);

  useEffect(() => {
    const s = getSocket();
    const sub = `all-logs-${Math.random().toString(36).slice(2, 10)}`;
    const reader = new TailReader();
    const seenJobs = new Map<string, string>();
    const seenNodes = new Set<string>();
    let subscribed = false;
    const subscribe = () => {
      s.emit('logs:subscribe', {
        sub,
        scope: props.scope,
        ...(subscribed ? { from: reader.resumeFrom(undefined) } : {}),
      });
      subscribed = true;
    };
    const onData = (m: { sub: string; lines: TailLineView[] }) => {
      const el = box.current;
      if (m.sub !== sub || !el) return;
      const fresh = reader.take(m.lines);
      if (fresh.length === 0) return;
      // read before the lines go in: a reader who scrolled up since the last batch stays put
      if (follow.current && !nearEnd(el)) {
        follow.current = false;
        setFollowing(false);
      }
      const frag = document.createDocumentFragment();
      let newJob = false;
      for (const l of fresh) {
        frag.append(lineElement(l, reader.rank(l.job), filters.current));
        if (!seenJobs.has(l.job)) {
          seenJobs.set(l.job, l.title);
          newJob = true;
        }
        if (!seenNodes.has(l.node)) {
          seenNodes.add(l.node);
          setNodes([...seenNodes].sort());
        }
      }
      el.append(frag);
      while (el.childElementCount > MAX_LINES) el.firstElementChild?.remove();
      if (newJob) setJobs([...seenJobs].map(([id, title]) => ({ id, title })));
      if (follow.current) el.scrollTop = el.scrollHeight;
      setShown(el.childElementCount);
    };
    const onEnd = (m: { sub: string }) => {
      if (m.sub === sub) setEnded(true);
    };
    const onError = (m: { sub: string; code: string; message: string; node?: string }) => {
      if (m.sub === sub) setProblem(`${m.node ? `node ${m.node}: ` : ''}${m.code}: ${m.message}`);
    };
    s.on('logs:data', onData);
    s.on('logs:end', onEnd);
    s.on('logs:error', onError);
    const off = onConnected(s, subscribe);
    return () => {
      off();
      s.off('logs:data', onData);
      s.off('logs:end', onEnd);
      s.off('logs:error', onError);
      s.emit('logs:unsubscribe', { sub });
    };
  }, [key]);

  const refilter = (change: Partial<Filters>) => {
    filters.current = { ...filters.current, ...change };
    for (const el of Array.from(box.current?.children ?? []) as HTMLElement[])
      el.hidden = hides(el, filters.current);
  };

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    follow.current = nearEnd(el);
    setFollowing(follow.current);
  };

  const jumpToEnd = () => {
    const el = box.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    follow.current = true;
    setFollowing(true);
  };

  const open = (e: MouseEvent) => {
    const line = (e.target as HTMLElement).closest<HTMLElement>('.line');
    const d = line?.dataset;
    if (d?.root && d.job && d.offset) openAt(d.root, d.job, Number(d.offset));
  };

  return (
    <section class="all-logs" aria-label="All logs">
      <div class="log-tools">
        <label>
          Job
          <select onChange={(e) => refilter({ job: (e.target as HTMLSelectElement).value })}>
            <option value="">all</option>
            {jobs.map((j) => (
              <option value={j.id}>{j.title}</option>
            ))}
          </select>
        </label>
        <label>
          Node
          <select onChange={(e) => refilter({ node: (e.target as HTMLSelectElement).value })}>
            <option value="">all</option>
            {nodes.map((n) => (
              <option value={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          Source
          <select onChange={(e) => refilter({ source: (e.target as HTMLSelectElement).value })}>
            <option value="">all</option>
            {['stdout', 'stderr', 'agent', 'job', 'file'].map((x) => (
              <option value={x}>{x}</option>
            ))}
          </select>
        </label>
        <label>
          Filter
          <input
            type="search"
            onInput={(e) => refilter({ text: (e.target as HTMLInputElement).value.toLowerCase() })}
          />
        </label>
        <span class="meta">{shown} lines</span>
      </div>
      <div
        class="log merged"
        role="log"
        aria-live="off"
        tabIndex={0}
        ref={box}
        onScroll={onScroll}
        onClick={open}
      />
      {!following && (
        <button type="button" class="follow" onClick={jumpToEnd}>
          Paused: follow the logs ↓
        </button>
      )}
      {problem && (
        <p class="error" role="status">
          {problem}
        </p>
      )}
      {ended && <p class="log-end">End of the logs: the tree has ended.</p>}
      {'root' in props.scope && <LogSearch root={props.scope.root} />}
    </section>
  );
}

/** A search through a tree's whole logs on every node (GET /api/v1/logs/search). */
function LogSearch(props: { root: string }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<{ matches: LogMatch[]; next: string | null } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const run = async (e: Event, cursor?: string) => {
    e.preventDefault();
    if (q === '') return;
    try {
      const page = await api.searchLogs(props.root, q, cursor);
      setFound((f) => ({
        matches: cursor && f ? [...f.matches, ...page.matches] : page.matches,
        next: page.next,
      }));
      setProblem(null);
    } catch (err) {
      setProblem((err as Error).message);
    }
  };
  return (
    <div class="log-search">
      <form role="search" onSubmit={(e) => void run(e)}>
        <label>
          Search all logs
          <input
            type="search"
            name="q"
            value={q}
            onInput={(e) => setQ((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Search</button>
      </form>
      {problem && <p class="error">{problem}</p>}
      {found && (
        <ol class="matches" aria-label="Matches">
          {found.matches.length === 0 && <li class="meta">No line holds it.</li>}
          {found.matches.map((m) => (
            <li>
              <a
                href={`#/trees/${m.root}?log=${m.job}&at=${m.offset}`}
                title={m.archived ? 'from the archive: its node is gone' : m.at}
              >
                {m.title}@{m.node}
              </a>{' '}
              <span class="src">{m.source}</span> {m.text}
            </li>
          ))}
          {found.next && (
            <li>
              <button type="button" onClick={(e) => void run(e, found.next ?? undefined)}>
                More matches
              </button>
            </li>
          )}
        </ol>
      )}
    </div>
  );
}
