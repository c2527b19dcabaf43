/**
 * On a Redis Cluster a script must never run while its slot is being moved
 * to another master (a resharding, SPEC §17). Redis checks the keys a
 * script names before it runs it, and each key a running script reaches
 * when it reaches it. A jobtree script names its first keys and builds the
 * rest from its prefix (the job a queue entry names, a parent, a pool):
 * all in its shard's one slot, but half of that slot may be on the other
 * master in the middle of a move. Such a key is then an error in the
 * middle of the script ("a non local key"), after some of its writes.
 *
 * So on a Cluster every script also names the shard's guard key, which is
 * never written. While the slot migrates, a script naming two keys of it,
 * one of them missing, is refused before it runs: TRYAGAIN on the master
 * that gives the slot away ("multiple keys request during rehashing"), and
 * again on the one that takes it after ASK. Once the slot has moved, MOVED
 * sends it to its new master whole. ioredis waits and sends it again
 * (retryDelayOnTryAgain, redis-client.ts): a script runs with the whole
 * slot on one master, or not at all.
 */
import type { ChainableCommander } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { guard } from './redis-errors.js';

/**
 * How long a call waits for a slot to end its move: so many tries, a pause
 * apart (some 5 s), before Redis counts as unavailable. The Cluster client
 * waits as long for a single command (redis-client.ts). The tries are
 * ioredis's redirections, which a lost master's connection errors count
 * too (100 ms apart): those fail after 1.6 s, as before.
 */
export const MOVE_WAIT = { tries: 16, pauseMs: 300 };

/** Redis refused to run the command where it was sent: nothing of it was done. */
export const REDIRECTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/;

/** The guard key of the slot of `firstKey`: its hash tag (`P:{t_k}`) and a name no script writes. */
export function guardKey(firstKey: string): string {
  const close = firstKey.indexOf('}');
  // every key of a sharded store starts with its shard's tag (sharded-store.ts)
  if (firstKey.indexOf('{') < 0 || close < 0) {
    throw new Error(`a key without a hash tag on a Redis Cluster: ${firstKey}`);
  }
  return `${firstKey.slice(0, close + 1)}:migration-guard`;
}

type ScriptMethod = (this: unknown, ...args: unknown[]) => Promise<unknown>;

/**
 * Makes each script method of `client` (defined with one key more than
 * its file names) pass the guard key after its own `numberOfKeys` keys.
 * The method is replaced on the client, so that a pipeline made from it
 * (which copies the client's methods) passes the guard too.
 */
export function guardScripts(
  client: object,
  scripts: ReadonlyArray<{ name: string; numberOfKeys: number }>,
): void {
  // ioredis adds the scripts as methods at run time (script-client.ts types them)
  const methods = client as Record<string, ScriptMethod>;
  for (const { name, numberOfKeys } of scripts) {
    const original = methods[name] as ScriptMethod;
    methods[name] = function (this: unknown, ...args: unknown[]) {
      return original.apply(this, guardedArgs(numberOfKeys, args));
    };
  }
}

/** A script's arguments with the guard key of its first key's slot after its own keys. */
export function guardedArgs(numberOfKeys: number, args: unknown[]): unknown[] {
  return [...args.slice(0, numberOfKeys), guardKey(String(args[0])), ...args.slice(numberOfKeys)];
}

/**
 * Runs a pipeline of reads of one slot's keys (`slotKey` is one of them;
 * `fill` queues the reads); a row's error is the call's error, never read
 * as a missing value. On a Cluster a pipeline meets the move of its slot as
 * ASK for the keys gone already, and ioredis sends it whole to the new
 * master, where the keys not moved yet read as missing. So it asks EXISTS
 * of two guard keys too, refused (TRYAGAIN) while the slot moves; ioredis
 * does not send a pipeline again after ASK, so it is made and sent again
 * here.
 */
/**
 * What a row of `execReads` reads when its key holds another type than the
 * command reads (WRONGTYPE), with `wrongType: 'mark'`: a record written by
 * hand or by a bug, which its caller skips (SPEC §18) instead of failing
 * the read of every other record.
 */
export const WRONG_TYPE: unique symbol = Symbol('WRONG_TYPE');

export async function execReads(
  client: { pipeline(): ChainableCommander },
  slotKey: string,
  fill: (pipe: ChainableCommander) => unknown,
  options: { wrongType?: 'throw' | 'mark' } = {},
): Promise<Array<[null, unknown]>> {
  for (let left = MOVE_WAIT.tries; ; left--) {
    const pipe = client.pipeline();
    fill(pipe);
    // what pipeline() returns is a Pipeline (typed so in ioredis), which knows it is a Cluster's
    const clustered = (pipe as unknown as { isCluster: boolean }).isCluster;
    if (clustered) pipe.exists(guardKey(slotKey), `${guardKey(slotKey)}:2`);
    const rows = (await guard(pipe.exec())) ?? [];
    const [moving] = clustered ? (rows.pop() ?? [null]) : [null];
    if (moving && REDIRECTED.test(moving.message) && left > 1) {
      await delay(MOVE_WAIT.pauseMs);
      continue;
    }
    for (const row of rows) {
      if (row[0] && options.wrongType === 'mark' && /^WRONGTYPE/.test(row[0].message)) {
        row[0] = null;
        row[1] = WRONG_TYPE;
      }
    }
    for (const [err] of [...rows, [moving]]) if (err) await guard(Promise.reject(err));
    return rows as Array<[null, unknown]>;
  }
}
