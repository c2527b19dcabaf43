/**
 * The archive of ended jobs' logs, kept with their trees (SPEC §19):
 * P:{R}:logs (job → gzip bytes, written by archiveLogs.lua, deleted with
 * the tree by deleteTree.lua) and P:{R}:lognodes (job → the node that wrote
 * it). What is stored is made and read in logstream/archive.ts; this file
 * only moves bytes.
 */
import { isJobId } from '../shared/ids.js';
import type { Keys } from './keys.js';
import { guard } from './redis-errors.js';
import type { ScriptClient } from './script-client.js';
import { execReads, WRONG_TYPE } from './slot-guard.js';
import type { ArchiveEntry, ArchivedLog } from './store.js';

export class LogArchiveShard {
  constructor(
    private readonly redis: ScriptClient,
    private readonly keys: Keys,
  ) {}

  /** Writes the logs in one call per node that wrote them, each tree's together. */
  async write(entries: ArchiveEntry[]): Promise<number> {
    const byNode = new Map<string, Map<string, ArchiveEntry[]>>();
    for (const e of entries) {
      const roots = byNode.get(e.node) ?? new Map<string, ArchiveEntry[]>();
      byNode.set(e.node, roots);
      const same = roots.get(e.root);
      if (same) same.push(e);
      else roots.set(e.root, [e]);
    }
    let kept = 0;
    for (const [node, roots] of byNode) {
      const argv: Array<string | Buffer | number> = [this.keys.prefix, node];
      for (const [root, logs] of roots) {
        argv.push(root, logs.length);
        for (const e of logs) argv.push(e.job, e.data);
      }
      kept += await guard(this.redis.archiveLogs(this.keys.trees(), ...argv));
    }
    return kept;
  }

  async read(root: string, job: string): Promise<ArchivedLog | null> {
    const rows = await execReads(
      this.redis,
      this.keys.logs(root),
      (pipe) => pipe.hgetBuffer(this.keys.logs(root), job).hget(this.keys.logNodes(root), job),
      { wrongType: 'mark' },
    );
    const data = rows[0]?.[1];
    const node = rows[1]?.[1];
    // a record written by hand or by a bug is no archive (SPEC §18)
    if (!Buffer.isBuffer(data) || typeof node !== 'string') return null;
    return { node, data };
  }

  async jobs(root: string): Promise<Map<string, string>> {
    const rows = await execReads(
      this.redis,
      this.keys.logNodes(root),
      (pipe) => pipe.hgetall(this.keys.logNodes(root)),
      { wrongType: 'mark' },
    );
    const all = rows[0]?.[1];
    const out = new Map<string, string>();
    if (all === WRONG_TYPE || typeof all !== 'object' || all === null) return out;
    for (const [job, node] of Object.entries(all as Record<string, string>))
      if (isJobId(job)) out.set(job, node);
    return out;
  }
}
