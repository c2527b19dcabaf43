/**
 * One page of a tree listing (SPEC §7 GET /trees) out of the pages every
 * shard gave for the same query and cursor (ShardedStore). Pure.
 *
 * Each shard lists newest first — by createdAt, then root, both descending
 * — and may stop short of the limit when its scan budget ran out, with a
 * cursor. A shard has then answered everything down to its cursor (the
 * tree at the cursor is its page's last) and nothing after it, so the
 * merged page holds what comes down to the earliest of those cursors, at
 * most `limit`; its cursor is its last tree's position, or that earliest
 * cursor, in the format every shard reads (`createdAt:root`).
 */
import type { TreeSummary } from '../shared/types.js';

interface Page {
  trees: TreeSummary[];
  next: string | null;
}

/** A listing position, comparable: the later in the listing, the smaller. */
function position(cursor: string): [number, string] {
  const at = cursor.indexOf(':');
  return [Number(cursor.slice(0, at)), cursor.slice(at + 1)];
}

/** > 0 when a comes before b in the listing (newer, or as new with a greater root). */
function before(a: [number, string], b: [number, string]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] > b[1] ? 1 : a[1] < b[1] ? -1 : 0;
}

export function mergeTreePages(pages: Page[], limit: number): Page {
  const cuts = pages.filter((p) => p.next !== null).map((p) => position(p.next as string));
  // the earliest cut in the listing is the one with the greatest position
  const cut = cuts.reduce<[number, string] | null>(
    (c, p) => (c === null || before(p, c) > 0 ? p : c),
    null,
  );
  const of = (t: TreeSummary): [number, string] => [t.createdAt, t.root];
  const all = pages
    .flatMap((p) => p.trees)
    // the tree at the cut is its shard's last answer: it belongs to the page (issue 26)
    .filter((t) => cut === null || before(of(t), cut) >= 0)
    .sort((a, b) => before(of(b), of(a)));
  const trees = all.slice(0, limit);
  const last = trees[trees.length - 1];
  if (all.length > limit && last) return { trees, next: `${last.createdAt}:${last.root}` };
  return { trees, next: cut === null ? null : `${cut[0]}:${cut[1]}` };
}
