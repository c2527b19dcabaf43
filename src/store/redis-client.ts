/**
 * Creates ioredis clients with jobtree's outage behaviour chosen on purpose
 * (NOTES: the defaults wait tens of seconds): commands fail after a couple
 * of reconnect attempts, reconnects go on forever with a capped backoff.
 * Behind Sentinels (SPEC §17) the same holds for finding the master: the
 * sentinels are asked again for ever, a failover is learnt from their
 * +switch-master at once, and a command a demoted master refused as
 * READONLY is sent again to the new one. On a Redis Cluster, MOVED and ASK
 * are followed and CLUSTERDOWN waited out for a moment. Behind either, a
 * script's writes count once the replicas have them (confirm-writes.ts).
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { defineScripts, preloadScripts } from './load-scripts.js';
import { toTarget, type RedisPlace } from './redis-target.js';
import { ReplicaWatch } from './replica-watch.js';
import { ClusterReplicaWatch } from './cluster-replicas.js';
import { confirmOnCluster, confirmOnMaster } from './confirm-writes.js';
import { MOVE_WAIT } from './slot-guard.js';
import type { ScriptClient } from './script-client.js';

/**
 * The longest a client waits between two reconnect attempts. A node whose
 * Redis came back may stay away this long before it tries again, so the
 * reaper (housekeeper.ts) adds it to the TTL it grants after an outage.
 */
export const MAX_RECONNECT_DELAY_MS = 2000;

const backoff = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), MAX_RECONNECT_DELAY_MS);

export function createRedis(place: RedisPlace, extra: RedisOptions = {}): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    retryStrategy: backoff,
    lazyConnect: false,
    ...extra,
  };
  const target = toTarget(place);
  if (target.kind === 'server') return new Redis(target.url, options);
  if (target.kind === 'cluster') {
    const cluster = new Cluster(
      target.nodes.map((url) => url),
      {
        redisOptions: options,
        clusterRetryStrategy: backoff,
        // a command meets MOVED/ASK while slots move, or CLUSTERDOWN while a master fails over
        retryDelayOnMoved: 0,
        retryDelayOnClusterDown: 100,
        // a script is refused (TRYAGAIN) for as long as its slot migrates (slot-guard.ts)
        retryDelayOnTryAgain: MOVE_WAIT.pauseMs,
        maxRedirections: MOVE_WAIT.tries,
        enableReadyCheck: true,
        lazyConnect: false,
      },
    );
    // Cluster and Redis share the command interface the store uses (calls, scripts, events)
    return cluster as unknown as Redis;
  }
  return new Redis({
    ...options,
    sentinels: target.sentinels.map((s) => ({ ...s })),
    name: target.name,
    // no sentinel answering fails the connection attempt (not a loop inside it), so
    // commands fail fast as in any outage and retryStrategy reconnects for ever
    sentinelRetryStrategy: () => null,
    failoverDetector: true,
    // the failover detector's own sentinel clients listen to no error event, and one made
    // as the client closes is never cleaned up: each tried a lost sentinel again every 60 s,
    // printing an unhandled error. The detector is made anew on each connection to a master,
    // and the replica watches poll the sentinels anyway, so a lost one is let go.
    sentinelReconnectStrategy: () => null,
    // a write refused by a master just demoted changed nothing: send it to the new master
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  });
}

/** A client with every Lua script defined as a command; its writes confirmed by replicas. */
export function createScriptClient(place: RedisPlace): ScriptClient {
  const client = createRedis(place);
  // an outage reaches the callers through their commands (guard); the event says nothing more
  client.on('error', () => undefined);
  const target = toTarget(place);
  const writing = defineScripts(client, { slotGuard: target.kind === 'cluster' });
  preloadScripts(client, { cluster: target.kind === 'cluster' });
  if (target.kind === 'sentinel')
    confirmOnMaster(
      client,
      writing.map((s) => s.name),
      new ReplicaWatch(target),
    );
  if (target.kind === 'cluster') {
    // Cluster and Redis share the interface the store uses (createRedis)
    const cluster = client as unknown as Cluster;
    confirmOnCluster(cluster, writing, new ClusterReplicaWatch(cluster));
  }
  return client as ScriptClient;
}
