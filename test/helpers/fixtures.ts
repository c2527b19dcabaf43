/** Reads a tree fixture from test/fixtures/trees (a fresh copy each time). */
import { readFileSync } from 'node:fs';
import type { TreeSpec } from '../../src/shared/types.js';

export function fixture(name: string): TreeSpec {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/trees/${name}.json`, import.meta.url), 'utf8'),
  ) as TreeSpec;
}

/** Reads a definition fixture from test/fixtures/definitions (a fresh copy each time). */
export function definitionFixture(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(new URL(`../fixtures/definitions/${name}.json`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;
}
