/**
 * Collects the status events of SPEC §4 rule 8 from a store's Pub/Sub
 * channel, with a way to await a given event.
 */
import type { StatusEvent } from '../../src/shared/types.js';
import type { Store } from '../../src/store/store.js';
import { track } from './track.js';
import { waitFor } from './wait.js';

export interface EventLog {
  events: StatusEvent[];
  /** Resolves when an event matching `pred` has arrived. */
  until(pred: (e: StatusEvent) => boolean, timeoutMs?: number): Promise<StatusEvent>;
}

export async function collectEvents(store: Store): Promise<EventLog> {
  const events: StatusEvent[] = [];
  const sub = store.subscribeStatus((e) => events.push(e));
  track(sub, (s) => s.close());
  await sub.ready;
  return {
    events,
    until: (pred, timeoutMs = 10000) =>
      waitFor(() => events.find(pred), { timeoutMs, what: 'status event' }),
  };
}
