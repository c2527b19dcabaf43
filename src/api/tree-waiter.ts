/**
 * Waits for trees to finish, for `POST /trees?wait=true` (SPEC §7). One
 * status subscription serves every waiter; a waiter re-reads the tree's
 * state from Redis after subscribing and on each terminal job event, so a
 * lost message only delays it to the next event or its timeout.
 */
import { isTerminal } from '../jobtree/states.js';
import type { StatusEvent } from '../shared/types.js';
import type { EventPort, ReadPort, Subscription } from '../store/store.js';

export class TreeWaiter {
  private readonly waiters = new Map<string, Set<() => void>>();
  private subscription: Subscription | undefined;

  constructor(private readonly store: EventPort & ReadPort) {}

  private ensureSubscribed(): Promise<void> {
    this.subscription ??= this.store.subscribeStatus((e: StatusEvent) => {
      if (isTerminal(e.state)) for (const check of this.waiters.get(e.root) ?? []) check();
    });
    return this.subscription.ready;
  }

  /** Resolves true when the tree is finished, false after `timeoutMs`. */
  async wait(root: string, timeoutMs: number): Promise<boolean> {
    await this.ensureSubscribed();
    return new Promise<boolean>((resolve) => {
      let done = false;
      const set = this.waiters.get(root) ?? new Set<() => void>();
      this.waiters.set(root, set);
      const finish = (value: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        set.delete(check);
        if (set.size === 0) this.waiters.delete(root);
        resolve(value);
      };
      const check = (): void => {
        void this.store.treeState(root).then(
          (s) => s && s.state !== 'RUNNING' && finish(true),
          () => undefined,
        );
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      set.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    await this.subscription?.close();
    this.subscription = undefined;
  }
}
