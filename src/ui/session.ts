/**
 * The cluster token for this browser session (SPEC §10), kept in
 * sessionStorage so it is asked for once and forgotten with the tab, and a
 * signal for "the server wants a (better) token".
 */
const KEY = 'jobtree.token';
const listeners = new Set<(reason: string) => void>();

export function token(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(value: string): void {
  sessionStorage.setItem(KEY, value);
}

/** Tells the app that a request was refused for want of the right token. */
export function tokenRefused(reason: string): void {
  for (const l of listeners) l(reason);
}

export function onTokenRefused(listener: (reason: string) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
