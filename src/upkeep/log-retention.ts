/**
 * Retention of this node's job logs (SPEC §9): a tree's log directory
 * `<dataDir>/logs/<root>` goes once the tree finished longer ago than the
 * retention age, or, when Redis no longer knows the tree (retention deleted
 * it), once the directory itself is that old. A running tree's logs stay.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isJobId } from '../shared/ids.js';
import type { ReadPort } from '../store/store.js';

/** Deletes expired log directories; returns the roots whose logs went. */
export async function sweepLogs(
  store: ReadPort,
  dataDir: string,
  cutoff: number,
): Promise<string[]> {
  const dir = join(dataDir, 'logs');
  const roots = (await readdir(dir).catch(() => [] as string[])).filter(isJobId);
  const removed: string[] = [];
  for (let i = 0; i < roots.length; i += 100) {
    const batch = roots.slice(i, i + 100);
    const ends = await store.treeEnds(batch);
    for (const [j, root] of batch.entries()) {
      const end = ends[j];
      if (end?.state === 'RUNNING') continue;
      const path = join(dir, root);
      const age = end ? end.finishedAt : (await stat(path).catch(() => null))?.mtimeMs;
      if (age === null || age === undefined || age >= cutoff) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(root);
    }
  }
  return removed;
}
