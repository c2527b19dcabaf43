/**
 * The Run form of a definition (SPEC §13), made from its params schema
 * (ui/params-form.ts). A 400 is shown next to the field its path names; a
 * run that starts opens its tree.
 */
import { useState } from 'preact/hooks';
import { ApiError, api, type Definition } from '../api.js';
import { fieldOfPath, fieldsOf, paramsOf, type Field } from '../params-form.js';

function Input(props: { field: Field; value: string; onInput: (v: string) => void }) {
  const { field: f, value, onInput } = props;
  const id = `param-${f.name}`;
  const set = (e: Event) => onInput((e.currentTarget as HTMLInputElement).value);
  if (f.kind === 'boolean')
    return (
      <input
        id={id}
        type="checkbox"
        checked={value === 'true'}
        onChange={(e) => onInput(String((e.currentTarget as HTMLInputElement).checked))}
      />
    );
  if (f.kind === 'enum')
    return (
      <select id={id} value={value} onChange={set}>
        {!f.required && <option value="">(default)</option>}
        {f.options?.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  if (f.kind === 'list' || f.kind === 'json')
    return <textarea id={id} rows={3} value={value} onInput={set} />;
  if (f.kind === 'number' || f.kind === 'integer')
    return <input id={id} type="number" value={value} onInput={set} />;
  return <input id={id} type="text" value={value} onInput={set} />;
}

export function RunForm(props: { def: Definition; onQueued: () => void }) {
  const fields = fieldsOf(props.def.params);
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(fields.map((f) => [f.name, f.initial])),
  );
  const [queue, setQueue] = useState(false);
  const [error, setError] = useState<{ field?: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const res = await api.run(props.def.name, paramsOf(fields, values), queue);
      setError(null);
      if (res.root) location.hash = `#/trees/${res.root}`;
      else props.onQueued();
    } catch (err) {
      const field = err instanceof ApiError ? fieldOfPath(err.path) : undefined;
      setError({ ...(field ? { field } : {}), message: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="run-form" onSubmit={submit} aria-label={`Run ${props.def.name}`}>
      {fields.map((f) => (
        <div class="field" key={f.name} data-field={f.name}>
          <label for={`param-${f.name}`}>
            {f.label}
            {f.required ? ' *' : ''}
          </label>
          <Input
            field={f}
            value={values[f.name] ?? ''}
            onInput={(v) => setValues({ ...values, [f.name]: v })}
          />
          {f.hint && <span class="hint">{f.hint}</span>}
          {error?.field === f.name && (
            <span class="field-error" role="alert">
              {error.message}
            </span>
          )}
        </div>
      ))}
      {error && !error.field && (
        <p class="error" role="alert">
          {error.message}
        </p>
      )}
      <label class="queue">
        <input
          type="checkbox"
          checked={queue}
          onChange={(e) => setQueue((e.currentTarget as HTMLInputElement).checked)}
        />{' '}
        queue it if the definition is busy
      </label>
      <button type="submit" disabled={busy}>
        Run
      </button>
    </form>
  );
}
