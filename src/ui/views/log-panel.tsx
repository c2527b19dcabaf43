/**
 * Follows one job's log live from whichever node ran it (SPEC §6): opens on
 * the last 100 KiB with "load earlier" (or at a line, `at`, marked: a line
 * of All logs or a search match, SPEC §19), marks stderr, scrolls with the log
 * until the reader scrolls up and again once they are back at the bottom,
 * filters by a search, downloads the whole file, and after a dropped
 * connection resumes from the next byte it lacks (LineSplitter drops any
 * repeat). Lines go straight into the DOM: a log can be far too long for a
 * virtual DOM diff per chunk.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { NestedJob } from '../../shared/types.js';
import { api } from '../api.js';
import { LineSplitter, earlierLines } from '../../shared/log-bytes.js';
import { parseLine } from '../log-lines.js';
import { getSocket, onConnected } from '../socket.js';
import { StateBadge } from './state-badge.js';

const TAIL_BYTES = 100 * 1024;

function lineElement(raw: string, query: string): HTMLElement {
  const line = parseLine(raw);
  const el = document.createElement('div');
  el.className = `line src-${line.source ?? 'raw'}`;
  if (line.time) {
    const time = document.createElement('span');
    time.className = 'time';
    time.textContent = line.time.slice(11, 23);
    time.title = line.time;
    el.append(time);
  }
  if (line.source) {
    const src = document.createElement('span');
    src.className = 'src';
    src.textContent = line.source;
    el.append(src);
  }
  el.append(document.createTextNode(line.text));
  el.dataset.text = line.text.toLowerCase();
  if (query && !el.dataset.text.includes(query)) el.hidden = true;
  return el;
}

export function LogPanel(props: { job: NestedJob; onClose: () => void; at?: number }) {
  const { job, at } = props;
  /** Opened at a line (`at`): it is marked and shown, and the panel does not scroll with the log. */
  const mark = useRef(at !== undefined);
  const box = useRef<HTMLDivElement>(null);
  const splitter = useRef(new LineSplitter());
  const follow = useRef(at === undefined);
  const [following, setFollowing] = useState(at === undefined);
  const [start, setStart] = useState<number | null>(null);
  const [ended, setEnded] = useState<{ size: number; state: string } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const queryRef = useRef(''); // read by the socket handlers, which outlive a render
  const [matches, setMatches] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);

  const append = (lines: string[]) => {
    const el = box.current;
    if (!el || lines.length === 0) return;
    const frag = document.createDocumentFragment();
    for (const l of lines) frag.append(lineElement(l, queryRef.current));
    if (mark.current) {
      mark.current = false;
      const first = frag.firstElementChild as HTMLElement | null;
      first?.classList.add('at-line');
      el.append(frag);
      first?.scrollIntoView({ block: 'center' });
      return;
    }
    el.append(frag);
    if (follow.current) el.scrollTop = el.scrollHeight;
  };

  useEffect(() => {
    const s = getSocket();
    const subscribe = () => {
      const from = splitter.current.first !== null ? splitter.current.next : (at ?? -TAIL_BYTES);
      s.emit('log:subscribe', { job: job.id, offset: from });
    };
    const onData = (m: { job: string; offset: number; data: string; sub?: string }) => {
      if (m.job !== job.id || m.sub !== undefined) return;
      const wasFirst = splitter.current.first === null;
      const lines = splitter.current.push(m.offset, m.data);
      if (wasFirst) setStart(m.offset);
      if (lines === null)
        subscribe(); // a gap: ask again from the next byte we lack
      else append(lines);
    };
    const onEnd = (m: { job: string; size: number; state: string }) => {
      if (m.job !== job.id) return;
      append(splitter.current.flush());
      setEnded({ size: m.size, state: m.state });
    };
    const onError = (m: { job: string; code: string; message: string }) => {
      if (m.job === job.id) setProblem(`${m.code}: ${m.message}`);
    };
    s.on('log:data', onData);
    s.on('log:end', onEnd);
    s.on('log:error', onError);
    const off = onConnected(s, () => {
      setProblem(null);
      subscribe();
    });
    const onDrop = () => setProblem('Connection lost; resuming when it is back…');
    s.on('disconnect', onDrop);
    return () => {
      off();
      s.off('log:data', onData);
      s.off('log:end', onEnd);
      s.off('log:error', onError);
      s.off('disconnect', onDrop);
      s.emit('log:unsubscribe', { job: job.id });
    };
  }, [job.id]);

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
    follow.current = atBottom;
    setFollowing(atBottom);
  };

  const jumpToEnd = () => {
    const el = box.current;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    follow.current = true;
    setFollowing(true);
  };

  const loadEarlier = async () => {
    if (start === null || start === 0 || loading) return;
    const from = Math.max(0, start - TAIL_BYTES);
    setLoading(true);
    try {
      const text = await api.logRange(job.id, from, start - from);
      const page = earlierLines(from, text);
      const el = box.current;
      if (!el) return;
      const before = el.scrollHeight;
      const frag = document.createDocumentFragment();
      for (const l of page.lines) frag.append(lineElement(l, queryRef.current));
      el.prepend(frag);
      el.scrollTop += el.scrollHeight - before; // keep the reader's place
      setStart(page.start);
    } catch (err) {
      setProblem((err as Error).message);
    } finally {
      setLoading(false);
    }
  };

  const search = (value: string) => {
    setQuery(value);
    const q = value.toLowerCase();
    queryRef.current = q;
    let n = 0;
    for (const el of Array.from(box.current?.children ?? []) as HTMLElement[]) {
      const hit = !q || (el.dataset.text ?? '').includes(q);
      el.hidden = !hit;
      if (hit && q) n++;
    }
    setMatches(q ? n : null);
  };

  const download = async () => {
    try {
      const text = await api.logRange(job.id, 0);
      const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `${job.title.replace(/[^\w.-]+/g, '_')}-${job.id}.log`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      setProblem((err as Error).message);
    }
  };

  return (
    <aside class="log-panel" aria-label={`Log of ${job.title}`}>
      <header>
        <h2>
          <StateBadge state={job.state} /> {job.title} <span class="meta">on {job.node}</span>
        </h2>
        <div class="log-tools">
          <label>
            Search
            <input
              type="search"
              value={query}
              onInput={(e) => search((e.target as HTMLInputElement).value)}
            />
          </label>
          {matches !== null && <span class="matches">{matches} lines</span>}
          <button type="button" onClick={() => void download()}>
            Download
          </button>
          <button type="button" onClick={props.onClose} aria-label="Close the log">
            Close
          </button>
        </div>
      </header>
      {start !== null && start > 0 && (
        <button type="button" class="earlier" disabled={loading} onClick={() => void loadEarlier()}>
          Load earlier ({Math.round(start / 1024)} KiB before)
        </button>
      )}
      <div class="log" role="log" aria-live="off" tabIndex={0} ref={box} onScroll={onScroll} />
      {!following && (
        <button type="button" class="follow" onClick={jumpToEnd}>
          Paused: follow the log ↓
        </button>
      )}
      {problem && (
        <p class="error" role="status">
          {problem}
        </p>
      )}
      {ended && (
        <p class="log-end">
          End of log: <StateBadge state={ended.state} /> {ended.size} bytes
        </p>
      )}
    </aside>
  );
}
