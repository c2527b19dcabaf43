/** Asks for the cluster token once per browser session; says plainly when it is wrong. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { setToken } from '../session.js';
import { Alert } from './alert.js';

export function TokenDialog(props: { reason: string; onAccepted: () => void }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setToken(value.trim());
    try {
      await api.nodes(); // any guarded route tells whether the token is right
      props.onAccepted();
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'Wrong token: the server refused it. Check JOBTREE_TOKEN on the agents.'
          : `Could not check the token: ${(err as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="backdrop">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="token-title">
        <form onSubmit={submit}>
          <h2 id="token-title">Cluster token</h2>
          <p>{props.reason}</p>
          <label for="token-input">Token</label>
          <input
            id="token-input"
            ref={input}
            type="password"
            autocomplete="current-password"
            value={value}
            onInput={(e) => setValue((e.target as HTMLInputElement).value)}
            required
          />
          <Alert message={error} />
          <p class="hint">It is kept for this browser tab only.</p>
          <button type="submit" disabled={busy || value.trim() === ''}>
            Use token
          </button>
        </form>
      </div>
    </div>
  );
}
