/**
 * Pub/Sub for the store: a dedicated connection per subscription (NOTES: a
 * subscribed connection runs nothing else), and the handlers that decode
 * what arrives. Which channels an agent or a status reader listens on is
 * the router's (sharded-store.ts). Messages are the fast path only;
 * callers catch up by reading state after a reconnect.
 */
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import { isResourceName } from '../shared/ids.js';
import type { PausedEvent, StatusEvent } from '../shared/types.js';
import { decodePausedEvent, decodeStatusEvent } from './codec.js';
import type { CorruptLog } from './corrupt-log.js';
import { createRedis } from './redis-client.js';
import { toTarget, type RedisPlace } from './redis-target.js';
import { ReplicaWatch } from './replica-watch.js';
import type { AgentListener, Subscription } from './store.js';

/** How often a subscriber behind Sentinels compares its server with the master they name. */
const FOLLOW_MS = 250;

/**
 * The handler of status and pause messages, on any of `status` and
 * `paused` channels: each is decoded where it enters, and one that is not
 * a message of ours is told to `corrupt` and skipped (SPEC §18: a junk
 * message once killed the agent that read it).
 */
export function statusHandler(
  status: ReadonlySet<string>,
  corrupt: CorruptLog,
  onEvent: (event: StatusEvent) => void,
  onPaused?: (event: PausedEvent) => void,
): (channel: string, message: string) => void {
  return (channel, message) => {
    const isStatus = status.has(channel);
    const event = isStatus ? decodeStatusEvent(message) : decodePausedEvent(message);
    if (event === null) {
      corrupt.report({
        what: isStatus ? 'status message' : 'pause message',
        key: channel,
        problem: `not a message of jobtree: ${message.slice(0, 120)}`,
      });
      return;
    }
    if (isStatus) onEvent(event as StatusEvent);
    else onPaused?.(event as PausedEvent);
  };
}

/** A definition's wake names it: anything that is no definition name is skipped (SPEC §18). */
export function wakeDefinition(
  corrupt: CorruptLog,
  on: AgentListener,
  channel: string,
  message: string,
): void {
  const text: string = message;
  if (isResourceName(text)) on.definitionWake(text);
  else
    corrupt.report({
      what: 'definition wake',
      key: channel,
      problem: `not a definition name: ${message.slice(0, 120)}`,
    });
}

export class PubSub {
  constructor(private readonly place: RedisPlace) {}

  /** A dedicated Pub/Sub connection (NOTES: a subscribed connection runs nothing else). */
  subscribe(
    channels: string[],
    onMessage: (channel: string, message: string) => void,
  ): Subscription {
    const sub = createRedis(this.place, {
      maxRetriesPerRequest: null,
      connectionName: `jobtree-sub@${hostname()}`,
    });
    sub.on('error', () => undefined); // reconnects by itself; callers catch up by reading state
    sub.on('message', onMessage);
    const ready = sub.subscribe(...channels).then(() => undefined);
    const follow = this.followMaster(sub);
    return {
      ready,
      close: async () => {
        follow();
        sub.disconnect();
      },
    };
  }

  /**
   * Behind Sentinels (SPEC §17): the sentinels name a promoted replica
   * seconds before they announce it (+switch-master), and until then a
   * subscriber on the old master hears nothing the new one publishes. So it
   * moves as soon as they name another master (ioredis subscribes again).
   * Answers what stops the watch.
   */
  private followMaster(sub: Redis): () => void {
    const target = toTarget(this.place);
    if (target.kind !== 'sentinel') return () => undefined;
    const watch = new ReplicaWatch(target);
    const timer = setInterval(() => {
      const at = `${sub.stream?.remoteAddress ?? ''}:${sub.stream?.remotePort ?? ''}`;
      if (sub.status === 'ready' && watch.master !== null && watch.master !== at)
        sub.disconnect(true);
    }, FOLLOW_MS).unref();
    return () => {
      clearInterval(timer);
      watch.close();
    };
  }
}
