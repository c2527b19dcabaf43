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

  async write(entries: ArchiveEntry[]): Promise<number> {
    if (entries.length === 0) return 0;
    const argv: Array<string | Buffer> = [];
    for (const e of entries) argv.push(e.root, e.job, e.node, e.data);
    return guard(this.redis.archiveLogs(this.keys.trees(), this.keys.prefix, ...argv));
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
