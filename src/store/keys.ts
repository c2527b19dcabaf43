/**
 * Every Redis key and channel name jobtree uses, built in one place (bullmq
 * queue-keys). The Lua include `common.lua` builds the same names; the two
 * must change together. Keys of one tree share the hash tag `{root}`.
 */
import type { JobState, TreeState } from '../shared/types.js';

/** Key and channel names under one prefix (default `jobtree`). */
export class Keys {
  constructor(readonly prefix: string) {}

  tree(root: string): string {
    return `${this.prefix}:{${root}}:tree`;
  }
  ctx(root: string): string {
    return `${this.prefix}:{${root}}:ctx`;
  }
  active(root: string): string {
    return `${this.prefix}:{${root}}:active`;
  }
  job(root: string, id: string): string {
    return `${this.prefix}:{${root}}:job:${id}`;
  }
  /** job id → root id, so a bare job id can be resolved. */
  jobRoot(): string {
    return `${this.prefix}:jobroot`;
  }
  queue(node: string): string {
    return `${this.prefix}:queue:${node}`;
  }
  running(node: string): string {
    return `${this.prefix}:running:${node}`;
  }
  signals(node: string): string {
    return `${this.prefix}:signals:${node}`;
  }
  trees(): string {
    return `${this.prefix}:trees`;
  }
  treeState(state: TreeState | JobState): string {
    return `${this.prefix}:state:${state}`;
  }
  tag(key: string, value: string): string {
    return `${this.prefix}:tag:${key}=${value}`;
  }
  nodes(): string {
    return `${this.prefix}:nodes`;
  }
  node(name: string): string {
    return `${this.prefix}:node:${name}`;
  }
  alive(name: string): string {
    return `${this.prefix}:node:${name}:alive`;
  }
  /** A cluster-wide lease (holdLease.lua), e.g. `housekeeper`. */
  lease(name: string): string {
    return `${this.prefix}:lease:${name}`;
  }
  /** root → finishedAt of finished trees, for retention. */
  finished(): string {
    return `${this.prefix}:finished`;
  }
  statusChannel(): string {
    return `${this.prefix}:status`;
  }
  /** `{root, paused, at}` when a tree is paused or resumed (not a job transition). */
  pausedChannel(): string {
    return `${this.prefix}:paused`;
  }
  wakeChannel(node: string): string {
    return `${this.prefix}:wake:${node}`;
  }
  signalChannel(node: string): string {
    return `${this.prefix}:signal:${node}`;
  }
}
