/**
 * Every Redis key and channel name jobtree uses, built in one place (bullmq
 * queue-keys). The Lua include `keys.lua` builds the same names; the two
 * must change together (test/store/lua-includes.test.ts holds them so). Keys
 * of one tree share the hash tag `{root}`.
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
  /** SPEC §19: job id → its ended log, gzip (log-archive.ts). */
  logs(root: string): string {
    return `${this.prefix}:{${root}}:logs`;
  }
  /** SPEC §19: job id → the node that wrote its archived log. */
  logNodes(root: string): string {
    return `${this.prefix}:{${root}}:lognodes`;
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
  /** `R|J` of retries waiting for their time, scored by runAt (SPEC §14). */
  delayed(): string {
    return `${this.prefix}:delayed`;
  }
  /** root → its last step, of committed big trees still being stored (SPEC §17). */
  storing(): string {
    return `${this.prefix}:storing`;
  }
  /** root → when it began, of big trees whose abort goes on in chunks (SPEC §17). */
  aborting(): string {
    return `${this.prefix}:aborting`;
  }
  /** root → finishedAt of finished trees, for retention. */
  finished(): string {
    return `${this.prefix}:finished`;
  }
  /** Every pool's name (SPEC §12). */
  pools(): string {
    return `${this.prefix}:pools`;
  }
  /** A pool: slots, used, refs (jobs naming it that have not ended), description. */
  pool(name: string): string {
    return `${this.prefix}:pool:${name}`;
  }
  /** `R|J` of QUEUED jobs a claim found waiting for the pool's slots. */
  poolWaiting(name: string): string {
    return `${this.prefix}:pool:${name}:waiting`;
  }
  /** Every registered job type's name (SPEC §11). */
  types(): string {
    return `${this.prefix}:types`;
  }
  /** A registered type: latest version, each version's metadata, the latest source. */
  type(name: string): string {
    return `${this.prefix}:type:${name}`;
  }
  /** The latest version's module source (read only by nodes that load it). */
  typeSource(name: string): string {
    return `${this.prefix}:type:${name}:source`;
  }
  /** `rev` (bumped on every registration change) and each name's last version number. */
  typesMeta(): string {
    return `${this.prefix}:types:meta`;
  }
  /** A registration changed: nodes look again at once (they also poll `rev`). */
  typesChannel(): string {
    return `${this.prefix}:types:changed`;
  }
  /** Every definition's name (SPEC §13). */
  defs(): string {
    return `${this.prefix}:defs`;
  }
  /** `next:<name>`: the last version number each definition was given. */
  defsMeta(): string {
    return `${this.prefix}:defs:meta`;
  }
  /** A definition: latest, max (its maxConcurrentRuns), v:<n> (each version's JSON). */
  def(name: string): string {
    return `${this.prefix}:def:${name}`;
  }
  /** Ids of the messages waiting to start a run, oldest first. */
  defInbox(name: string): string {
    return `${this.prefix}:def:${name}:inbox`;
  }
  /** Message id → JSON {id, params, postedAt, version?}. */
  defMessages(name: string): string {
    return `${this.prefix}:def:${name}:messages`;
  }
  /** Messages whose run could not start (SPEC §18): JSON {failedAt, error, id, message}, newest first. */
  defFailed(name: string): string {
    return `${this.prefix}:def:${name}:failed`;
  }
  /** Roots of the definition's runs that have not ended. */
  defRunning(name: string): string {
    return `${this.prefix}:def:${name}:running`;
  }
  /** The root of the run an idempotency key started (24 h). */
  idempotency(name: string, key: string): string {
    return `${this.prefix}:def:${name}:idem:${key}`;
  }
  /** A definition's run ended or a message was posted: a dispatcher looks at its inbox. */
  defsWakeChannel(): string {
    return `${this.prefix}:defs:wake`;
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
  /** `drain` / `undrain`: an operator's word to a node's agent (SPEC §16). */
  controlChannel(node: string): string {
    return `${this.prefix}:control:${node}`;
  }
  signalChannel(node: string): string {
    return `${this.prefix}:signal:${node}`;
  }
}
