/**
 * Registers every resource a test helper makes (stores, agents, sockets,
 * child processes) so that afterEach closes them all; a test cannot leak
 * one into the next.
 */
type Closer = () => Promise<void> | void;

const open = new Set<Closer>();

/** Registers `close` to run after the current test; returns `value`. */
export function track<T>(value: T, close: (value: T) => Promise<void> | void): T {
  open.add(() => close(value));
  return value;
}

/** Closes everything registered, newest first. */
export async function closeTracked(): Promise<void> {
  const closers = [...open].reverse();
  open.clear();
  const errors: unknown[] = [];
  for (const close of closers) {
    try {
      await close();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, 'closing test resources failed');
}
