/**
 * A page of a tree listing merged from the shards' pages (ShardedStore),
 * on its own: a shard that stops at its limit has answered everything down
 * to its cursor, the tree at the cursor included; the merged page keeps
 * what every shard has answered and no more, and hands out a cursor from
 * which nothing is skipped or repeated (issue 26: the tree at a shard's
 * cursor was dropped, and a page of 1 came back empty for ever).
 */
import { expect } from 'chai';
import { mergeTreePages } from '../../src/store/shard-merge.js';
import type { TreeSummary } from '../../src/shared/types.js';

const tree = (root: string, createdAt: number) =>
  ({
    root,
    createdAt,
    title: root,
    state: 'RUNNING',
    paused: false,
    tags: {},
    counts: {},
  }) as TreeSummary;
const at = (t: TreeSummary) => `${t.createdAt}:${t.root}`;

/** Shards as sorted lists, newest first; a shard's page as its query answers it. */
function shardPage(trees: TreeSummary[], limit: number, cursor?: string) {
  const after = cursor
    ? trees.filter((t) => {
        const [c, r] = [Number(cursor.split(':')[0]), cursor.split(':')[1] as string];
        return t.createdAt < c || (t.createdAt === c && t.root < r);
      })
    : trees;
  const page = after.slice(0, limit);
  return {
    trees: page,
    next:
      after.length > limit || page.length === limit
        ? page.length
          ? at(page.at(-1)!)
          : null
        : null,
  };
}

describe('store.mergeTreePages', () => {
  it('pages every tree of every shard once, in order, at any limit', () => {
    const shards = [[tree('e', 5), tree('c', 3)], [tree('d', 4), tree('b', 2), tree('a', 1)], []];
    for (const limit of [1, 2, 3, 10]) {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 20; pages++) {
        const merged = mergeTreePages(
          shards.map((s) => shardPage(s, limit, cursor)),
          limit,
        );
        expect(merged.trees.length, `limit ${limit}`).to.be.at.most(limit);
        seen.push(...merged.trees.map((t) => t.root));
        if (!merged.next) break;
        cursor = merged.next;
      }
      expect(seen, `limit ${limit}`).to.deep.equal(['e', 'd', 'c', 'b', 'a']);
    }
  });

  it('keeps the tree at the newest shard cursor, and nothing a shard has not answered', () => {
    const merged = mergeTreePages(
      [
        { trees: [tree('d', 4)], next: '4:d' },
        { trees: [tree('c', 3)], next: '3:c' },
      ],
      1,
    );
    expect(merged.trees.map((t) => t.root)).to.deep.equal(['d']);
    expect(merged.next).to.equal('4:d');
  });
});
