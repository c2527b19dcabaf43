/**
 * The leak check run after every test (issue 26): what a test opened and
 * did not close fails that test, not a later one. It looks at the handles
 * Node holds (sockets, servers, child processes) against those held
 * before the test, and at the error events a Redis client emitted with
 * nobody listening (ioredis prints them as "Unhandled error event").
 */
import { Redis } from 'ioredis';

/** The handle kinds a test may not leave open; timers and the like end by themselves. */
const WATCHED = new Set(['TCPSocketWrap', 'TCPServerWrap', 'PipeWrap', 'ProcessWrap']);

/** How long closing handles get to be gone: a socket ends a turn or two after close(). */
const SETTLE_MS = 3000;

function counts(): Map<string, number> {
  const held = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    if (WATCHED.has(kind)) held.set(kind, (held.get(kind) ?? 0) + 1);
  }
  return held;
}

function excess(before: Map<string, number>): string[] {
  return [...counts()]
    .filter(([kind, n]) => n > (before.get(kind) ?? 0))
    .map(([kind, n]) => `${n - (before.get(kind) ?? 0)} ${kind}`);
}

const unhandled: string[] = [];
/** The clients whose errors nobody heard: ended after the test, so one leak fails one test. */
const unheard = new Set<{ disconnect(): void }>();

/**
 * Where each Redis client was made (the first line of test code that made
 * it), so that an error event nobody hears names its maker; ioredis prints
 * such an event from silentEmit, which is wrapped here to record it.
 */
const madeAt = new WeakMap<object, string>();
type Emitting = {
  silentEmit(event: string, arg?: unknown): unknown;
  listenerCount(e: string): number;
};
const proto = Redis.prototype as unknown as Emitting & { connect(): Promise<void> };
const connect = proto.connect;
proto.connect = function (this: object) {
  if (!madeAt.has(this)) madeAt.set(this, makerOf(new Error().stack ?? ''));
  return connect.call(this);
};
const silentEmit = proto.silentEmit;
proto.silentEmit = function (this: Emitting, event: string, arg?: unknown) {
  const heard = silentEmit.call(this, event, arg);
  // false: nobody listened and ioredis printed it (an error it expects, such as the close
  // of a client being disconnected, it drops silently)
  if (event === 'error' && heard === false && arg instanceof Error) {
    unhandled.push(`${arg.message}, a client made at ${madeAt.get(this) ?? 'an unknown place'}`);
    unheard.add(this as unknown as { disconnect(): void });
  }
  return heard;
};

/** The first frame of the stack in the project's code (not ioredis, Node or this file). */
function makerOf(stack: string): string {
  const frames = stack
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  const ours = (f: string) =>
    !f.includes('node_modules') && !f.includes('leaks.ts') && !f.includes('(node:');
  const frame = frames.find(ours);
  return frame?.replace(/^at /, '') ?? "ioredis's own (a Cluster's or Sentinel connector's node)";
}

let before = counts();

/** Called before each test: what is open now is not the test's. */
export function leakBaseline(): void {
  before = counts();
  unhandled.length = 0;
}

/**
 * Called after each test, once its tracked resources are closed: answers
 * what it leaked (empty when nothing), waiting a little for handles that
 * are closing.
 */
export async function leaksOfTest(): Promise<string[]> {
  const deadline = Date.now() + SETTLE_MS;
  let left = excess(before);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    left = excess(before);
  }
  const errors = [...new Set(unhandled.splice(0))].map(
    (e) => `an unhandled Redis error event (${e})`,
  );
  return [...left.map((l) => `${l} left open`), ...errors];
}
