/**
 * A script's answer waits until the replicas have its writes (SPEC §17),
 * behind Sentinels and on a Redis Cluster. Replication is asynchronous: a
 * write only the master had is gone once a replica is promoted, and a
 * claim or an end lost so would run a job twice or leave it RUNNING. So
 * each script is followed by WAIT for every healthy replica (the watches
 * say how many); one not confirmed in time is answered as Redis
 * unavailable (NOREPLICAS): the agent journals an end and leaves a claim to
 * its adoption, the API answers 503. On one plain server nothing changes.
 */
import keySlot from 'cluster-key-slot';
import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Cluster, Redis } from 'ioredis';
import type { ClusterReplicaWatch } from './cluster-replicas.js';
import type { ReplicaWatch } from './replica-watch.js';
import type { ScriptSource } from './load-scripts.js';
import { guardedArgs, MOVE_WAIT, REDIRECTED } from './slot-guard.js';

/** How long a script's writes wait for the replicas. */
export const REPLICA_ACK_TIMEOUT_MS = 1000;

type ScriptMethod = (this: unknown, ...args: unknown[]) => Promise<unknown>;
type Confirmed = (name: string, original: ScriptMethod, args: unknown[]) => Promise<unknown>;

function notConfirmed(name: string, needed: number | null): Error {
  if (needed === null) {
    // how many replicas there are is not known yet: a write with fewer could be lost
    return new Error(`NOREPLICAS the replicas to confirm ${name}'s writes are not known yet`);
  }
  return new Error(
    `NOREPLICAS ${needed} replicas did not all acknowledge ${name}'s writes within ${REPLICA_ACK_TIMEOUT_MS} ms`,
  );
}

/**
 * Replaces each script method of `client` by `confirmed`. A pipeline copies
 * the client's methods when it is made: called on one, the script is
 * queued as it is.
 */
function wrapScripts(client: object, scripts: string[], confirmed: Confirmed): void {
  // ioredis adds the scripts as methods at run time (script-client.ts types them)
  const methods = client as Record<string, ScriptMethod>;
  for (const name of scripts) {
    const original = methods[name] as ScriptMethod;
    methods[name] = function (this: unknown, ...args: unknown[]) {
      if (this !== client) return original.apply(this, args);
      return confirmed(name, original, args);
    };
  }
}

/**
 * Behind Sentinels: WAIT on the master's connection, for the replicas the
 * sentinels hold healthy, and only on the server they name as master. Once
 * they have switched, the old master still takes writes from a client that
 * has not moved yet, and its replicas may be none by then: such a write is
 * lost with it, so it is refused whatever WAIT says, and the client moves.
 */
export function confirmOnMaster(client: Redis, scripts: string[], watch: ReplicaWatch): void {
  wrapScripts(client, scripts, async (name, original, args) => {
    await watch.ready;
    if (watch.needed === null) throw notConfirmed(name, null);
    const answer = await original.apply(client, args);
    const needed = watch.needed ?? 1;
    const replicated =
      needed === 0 || (await client.wait(needed, REPLICA_ACK_TIMEOUT_MS)) >= needed;
    const at = `${client.stream?.remoteAddress ?? ''}:${client.stream?.remotePort ?? ''}`;
    const onMaster = watch.master === null || watch.master === at;
    if (replicated && onMaster) return answer;
    // the sentinels name a promoted replica before they announce it (+switch-master,
    // seconds later, once the other replicas follow it): go there now
    if (!onMaster) client.disconnect(true);
    throw notConfirmed(name, needed);
  });
  client.once('end', () => watch.close());
}

/**
 * On a Redis Cluster: the replicas of the master that serves the script's
 * slot, and WAIT in one pipeline with the script, so that it reaches the
 * node that ran it. The script is queued here as EVALSHA, not as ioredis's
 * script command: that one, refused NOSCRIPT (a master restarted, or its
 * scripts flushed), is sent again on its own, after the pipeline's WAIT, and
 * a pipeline ioredis sends again (CLUSTERDOWN) loses even that and answers
 * NOSCRIPT as the script's error. NOSCRIPT means nothing ran: it is sent
 * again as EVAL, with its source. ioredis sends such a pipeline again only
 * when all of it is read-only, so a script it refused (its slot moved, or
 * moving) is sent again here, as ioredis does for a single command
 * (MOVE_WAIT).
 */
export function confirmOnCluster(
  client: Cluster,
  scripts: ScriptSource[],
  watch: ClusterReplicaWatch,
): void {
  const byName = new Map(scripts.map((s) => [s.name, { ...s, sha: sha1(s.lua) }]));
  wrapScripts(
    client,
    scripts.map((s) => s.name),
    async (name, original, args) => {
      await watch.ready;
      const script = byName.get(name) as ScriptSource & { sha: string }; // wrapped by name from it
      const slot = keySlot(String(args[0]));
      const callArgs = [script.numberOfKeys + 1, ...guardedArgs(script.numberOfKeys, args)];
      let loaded = true; // EVALSHA until the master says it lacks the script
      for (let left = MOVE_WAIT.tries; ; left--) {
        const needed = watch.needed(slot);
        if (needed === null) throw notConfirmed(name, null);
        if (needed === 0) return original.apply(client, args); // ioredis follows redirects itself
        const pipe = client.pipeline();
        if (loaded) pipe.evalsha(script.sha, ...(callArgs as [number, ...string[]]));
        else pipe.eval(script.lua, ...(callArgs as [number, ...string[]]));
        const rows = (await pipe.wait(needed, REPLICA_ACK_TIMEOUT_MS).exec()) ?? [];
        const [[scriptError, answer] = [null, null], [waitError, acked] = [null, 0]] = rows;
        if (scriptError && loaded && NO_SCRIPT.test(scriptError.message)) {
          loaded = false;
          continue;
        }
        if (scriptError && REDIRECTED.test(scriptError.message)) {
          if (left <= 1) {
            throw new Error(`Too many Cluster redirections. Last error: ${scriptError.message}`);
          }
          if (scriptError.message.startsWith('MOVED')) client.refreshSlotsCache();
          await delay(MOVE_WAIT.pauseMs);
          continue;
        }
        if (scriptError) throw scriptError;
        if (waitError) throw waitError;
        if (Number(acked) < needed) throw notConfirmed(name, needed);
        return answer;
      }
    },
  );
  client.once('end', () => watch.close());
}

/** The master lacks the script: it did not run. */
const NO_SCRIPT = /^NOSCRIPT\b/;

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
