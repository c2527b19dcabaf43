/**
 * A definition's versions, and the line diff of its tree between two of
 * them (SPEC §13: every change is a new version).
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { diffLines, type DiffLine } from '../line-diff.js';

export function VersionDiff(props: { name: string; versions: number[] }) {
  const latest = props.versions[props.versions.length - 1] ?? 1;
  const [from, setFrom] = useState(props.versions[props.versions.length - 2] ?? latest);
  const [to, setTo] = useState(latest);
  const [lines, setLines] = useState<DiffLine[] | null>(null);
  useEffect(() => {
    void Promise.all([api.definition(props.name, from), api.definition(props.name, to)]).then(
      ([a, b]) =>
        setLines(diffLines(JSON.stringify(a.tree, null, 2), JSON.stringify(b.tree, null, 2))),
    );
  }, [props.name, from, to]);
  const pick = (set: (v: number) => void) => (e: Event) =>
    set(Number((e.currentTarget as HTMLSelectElement).value));
  const options = props.versions.map((v) => (
    <option key={v} value={v}>
      version {v}
    </option>
  ));
  return (
    <section class="version-diff" aria-label="Versions">
      <h2>Versions</h2>
      <label>
        from{' '}
        <select value={from} onChange={pick(setFrom)} aria-label="from version">
          {options}
        </select>
      </label>{' '}
      <label>
        to{' '}
        <select value={to} onChange={pick(setTo)} aria-label="to version">
          {options}
        </select>
      </label>
      <pre class="diff">
        {lines?.map((l, i) => (
          <div key={i} class={l.op === '+' ? 'added' : l.op === '-' ? 'removed' : undefined}>
            {l.op} {l.text}
          </div>
        ))}
      </pre>
    </section>
  );
}
