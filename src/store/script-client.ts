/**
 * The typed face of the commands defineScripts adds (one per .lua file);
 * ioredis adds them at run time, so their types are declared here.
 */
import type { Redis } from 'ioredis';
import type { Keys } from './keys.js';

type Arg = string | number;

/** What the store's helper modules (staged-submit, tree-pages) need of it. */
export interface StoreParts {
  redis: ScriptClient;
  keys: Keys;
  prefix: string;
}

export interface ScriptClient extends Redis {
  submitTree(treeKey: string, ...argv: Arg[]): Promise<number | [number, string]>;
  stageJobs(treeKey: string, ...argv: Arg[]): Promise<number>;
  commitTree(treeKey: string, ...argv: Arg[]): Promise<number | [number, string]>;
  storeMore(treeKey: string, ...argv: Arg[]): Promise<number>;
  dropStaged(treeKey: string, ...argv: Arg[]): Promise<number>;
  claimJobs(queue: string, anyQueue: string, ...argv: Arg[]): Promise<string[]>;
  finishJobs(treesKey: string, ...argv: Arg[]): Promise<Array<number | string | null>>;
  abortJob(jobKey: string, treeKey: string, ...argv: Arg[]): Promise<number>;
  abortMore(treeKey: string, ...argv: Arg[]): Promise<number>;
  addChildren(jobKey: string, treeKey: string, ...argv: Arg[]): Promise<number | [number, string]>;
  failRunning(runningKey: string, aliveKey: string, ...argv: Arg[]): Promise<number>;
  holdLease(leaseKey: string, ...argv: Arg[]): Promise<number>;
  deleteTree(treeKey: string, ...argv: Arg[]): Promise<[number, number, string]>;
  adoptClaims(runningKey: string, ...argv: Arg[]): Promise<string[]>;
  reattachJobs(runningKey: string, ...argv: Arg[]): Promise<string[]>;
  promoteDue(delayedKey: string, ...argv: Arg[]): Promise<number>;
  queryTrees(treesKey: string, ...argv: Arg[]): Promise<string[]>;
  pauseTree(treeKey: string, ...argv: Arg[]): Promise<number>;
  resumeTree(treeKey: string, ...argv: Arg[]): Promise<number>;
  forgetNode(nodesKey: string, ...keysAndArgv: Arg[]): Promise<number>;
  setPool(poolKey: string, ...argv: Arg[]): Promise<number>;
  setDrain(nodesKey: string, nodeKey: string, ...argv: Arg[]): Promise<number>;
  deletePool(
    poolKey: string,
    waitingKey: string,
    ...argv: Arg[]
  ): Promise<number | [number, number]>;
  registerType(
    typesKey: string,
    typeKey: string,
    metaKey: string,
    ...argv: Arg[]
  ): Promise<[number, number]>;
  removeType(...keysAndArgv: Arg[]): Promise<number>;
  putDefinition(...keysAndArgv: Arg[]): Promise<[number, number]>;
  deleteDefinition(...keysAndArgv: Arg[]): Promise<number>;
  postMessage(...keysAndArgv: Arg[]): Promise<number>;
  withdrawMessage(...keysAndArgv: Arg[]): Promise<number>;
  failMessage(...keysAndArgv: Arg[]): Promise<number>;
  /** Buffers are sent as the bytes they hold (a compressed log). */
  archiveLogs(treesKey: string, ...argv: Array<Arg | Buffer>): Promise<number>;
}
