/**
 * Definitions (SPEC §13): a named, versioned tree with parameters, run by
 * name. Every version is checked at PUT by expanding it with specimen
 * params and admitting the result without writing; every run expands it
 * with the caller's params and goes through the same admission room as any
 * submission. Errors name the path in the definition (or in `params`).
 * The dispatcher starts waiting messages, in order, as runs end.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  canonicalJson,
  checkDefinition,
  checkRunParams,
  definitionFromFile,
  runTags,
} from '../jobtree/definition.js';
import { definitionPath, expandTree } from '../jobtree/expand.js';
import {
  coerceError,
  ConflictError,
  isRedisUnavailable,
  JobtreeError,
  NotFoundError,
  ValidationError,
} from '../shared/errors.js';
import { isResourceName, newId, RESOURCE_NAME_PATTERN } from '../shared/ids.js';
import { sha256Of } from '../shared/sha256.js';
import type { JsonObject } from '../shared/types.js';
import type { DefinitionVersion, RecordsPort } from '../store/store.js';
import type { Admission } from './admission.js';

const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

export interface RunRequest {
  params?: unknown;
  tags?: Record<string, string>;
  version?: number;
  idempotencyKey?: string;
  /** At the limit, queue the run as a message instead of answering 409 BUSY. */
  queue?: boolean;
}

/** A waiting message whose stored record cannot be read. */
class CorruptMessage extends Error {}

export type RunAnswer =
  | { kind: 'started'; root: string; version: number; created: boolean }
  | { kind: 'queued'; id: string; position: number };

function definitionName(name: unknown): string {
  if (!isResourceName(name))
    throw new ValidationError(`name: want ${RESOURCE_NAME_PATTERN}`, 'name');
  return name;
}

/** Runs `step`, re-pathing a validation error of an expanded tree into the definition. */
async function inDefinition<T>(
  origin: ReadonlyMap<string, string>,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (!(err instanceof ValidationError) || err.path === undefined) throw err;
    const path = definitionPath(err.path, origin);
    throw new ValidationError(err.message.replace(err.path, path), path, err.code as 'VALIDATION');
  }
}

export class Definitions {
  constructor(
    private readonly store: RecordsPort,
    private readonly admission: Admission,
    private readonly logger: Logger,
  ) {}

  /** Stores a new version, or answers the latest when the content is the same (`created` false). */
  async put(
    rawName: unknown,
    body: unknown,
  ): Promise<{ name: string; version: number; created: boolean }> {
    const name = definitionName(rawName);
    const { spec, specimen } = checkDefinition(body);
    if (spec.name !== undefined && spec.name !== name)
      throw new ValidationError(`name: the body names ${spec.name}, the URL ${name}`, 'name');
    const expanded = expandTree(spec.tree, specimen);
    const tags = runTags(spec, expanded.tree.tags, 1, name, undefined);
    await inDefinition(expanded.origin, () => this.admission.check({ ...expanded.tree, tags }));
    const content = {
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      ...(spec.params !== undefined ? { params: spec.params } : {}),
      ...(spec.tags !== undefined ? { tags: spec.tags } : {}),
      ...(spec.maxConcurrentRuns !== undefined
        ? { maxConcurrentRuns: spec.maxConcurrentRuns }
        : {}),
      tree: spec.tree,
    };
    const sha256 = sha256Of(canonicalJson(content));
    const stored = await this.store.definitions.put(name, {
      ...content,
      sha256,
      createdAt: Date.now(),
    });
    return { name, ...stored };
  }

  async get(rawName: unknown, version?: number): Promise<DefinitionVersion> {
    const name = definitionName(rawName);
    const def = await this.store.definitions.get(name, version);
    if (!def)
      throw new NotFoundError(`no definition ${name}${version ? ` version ${version}` : ''}`);
    return def;
  }

  /**
   * Starts a run (SPEC §13): params checked (400 with the path in
   * `params`), the tree expanded and admitted; at the definition's limit a
   * 409 BUSY, or with `queue` a message in its inbox.
   */
  async run(rawName: unknown, req: RunRequest): Promise<RunAnswer> {
    const def = await this.get(rawName, req.version);
    if (req.idempotencyKey !== undefined && !IDEMPOTENCY_KEY_RE.test(req.idempotencyKey))
      throw new ValidationError('idempotencyKey: want [A-Za-z0-9_.:-]{1,128}', 'idempotencyKey');
    if (req.queue && req.idempotencyKey !== undefined)
      throw new ValidationError(
        'idempotencyKey: a run that may be queued cannot carry one (post it when it should run)',
        'idempotencyKey',
      );
    const params = checkRunParams(def.params, req.params);
    try {
      return await this.start(def, params, req.tags, {
        ...(req.idempotencyKey !== undefined ? { idempotencyKey: req.idempotencyKey } : {}),
      });
    } catch (err) {
      if (!(req.queue && err instanceof ConflictError && err.code === 'BUSY')) throw err;
      return this.postChecked(def, params, req.tags);
    }
  }

  /** Queues a message: a run started when the definition has room, in order (SPEC §13). */
  async post(rawName: unknown, params: unknown): Promise<{ id: string; position: number }> {
    const def = await this.get(rawName);
    const answer = await this.postChecked(def, checkRunParams(def.params, params));
    return { id: answer.id, position: answer.position };
  }

  private async postChecked(
    def: DefinitionVersion,
    params: JsonObject,
    tags?: Record<string, string>,
  ): Promise<{ kind: 'queued'; id: string; position: number }> {
    // the run tags are checked now, as a run's would be, not when the message starts
    runTags(def, undefined, def.version, def.name, tags);
    const id = newId();
    const position = await this.store.definitions.post(def.name, {
      id,
      params,
      ...(tags ? { tags } : {}),
      postedAt: Date.now(),
    });
    void this.dispatch(def.name).catch((err: unknown) =>
      this.logger.warn({ err }, 'dispatch failed'),
    );
    return { kind: 'queued', id, position };
  }

  private async start(
    def: DefinitionVersion,
    params: JsonObject,
    tags: Record<string, string> | undefined,
    link: { messageId?: string; idempotencyKey?: string },
  ): Promise<RunAnswer & { kind: 'started' }> {
    const expanded = expandTree(def.tree, params);
    const tree = {
      ...expanded.tree,
      tags: runTags(def, expanded.tree.tags, def.version, def.name, tags),
    };
    const planned = await inDefinition(expanded.origin, () =>
      this.admission.submit(tree, { run: { definition: def.name, ...link } }),
    );
    return { kind: 'started', root: planned.root, version: def.version, created: planned.created };
  }

  /**
   * Starts the definition's waiting messages while it has room, oldest
   * first. Any number of agents may call this at once: the run script
   * starts a message only while it is the inbox's head and there is room,
   * so each starts exactly once, in order. SPEC §18: a message whose run
   * cannot be expanded or admitted (its record is corrupt, its type was
   * removed since, its tree is too large, anything but Redis being away)
   * is moved to the failed messages with its error and logged, so that it
   * neither blocks the ones behind it nor is tried again at every wake.
   */
  async dispatch(name: string): Promise<number> {
    let started = 0;
    for (;;) {
      const { message, running, max } = await this.store.definitions.head(name);
      if (!message || (max > 0 && running >= max)) return started;
      const def = await this.store.definitions.get(name);
      if (!def) return started;
      try {
        if ('corrupt' in message)
          throw new CorruptMessage(`message ${message.id}: ${message.corrupt}`);
        const params = checkRunParams(def.params, message.params);
        await this.start(def, params, message.tags, { messageId: message.id });
        started += 1;
      } catch (err) {
        if (err instanceof ConflictError && err.code === 'MESSAGE_TAKEN') continue;
        if (err instanceof ConflictError && err.code === 'BUSY') return started;
        if (isRedisUnavailable(err)) throw err;
        const error = {
          code: err instanceof JobtreeError ? String(err.code) : 'CORRUPT_RECORD',
          message: coerceError(err).message,
        };
        await this.store.definitions.fail(name, message.id, error, Date.now());
        this.logger.error(
          { definition: name, message: message.id, code: error.code, err: error.message },
          'a waiting message cannot start a run; moved to the failed messages',
        );
      }
    }
  }

  /**
   * Dispatches every definition that has messages waiting (the
   * housekeeper's catch-up); one that fails is logged and the others go on.
   */
  async dispatchAll(): Promise<void> {
    for (const name of await this.store.definitions.withMessages()) {
      try {
        await this.dispatch(name);
      } catch (err) {
        if (isRedisUnavailable(err)) throw err;
        this.logger.warn({ definition: name, err: (err as Error).message }, 'dispatch failed');
      }
    }
  }
}

/**
 * Applies every `*.json` of the directories as a definition (SPEC §13
 * `definitions.dirs`, at start): a new version where one changed. A bad
 * file is logged with its path and skipped; the others are applied.
 */
export async function applyDefinitionDirs(
  definitions: Definitions,
  dirs: readonly string[],
  logger: Logger,
): Promise<void> {
  for (const dir of dirs) {
    const files = (await readdir(dir).catch(() => [] as string[])).filter((f) =>
      f.endsWith('.json'),
    );
    for (const file of files.sort()) {
      const path = join(dir, file);
      try {
        const { name, body } = definitionFromFile(await readFile(path, 'utf8'), file);
        const { version, created } = await definitions.put(name, body);
        logger.info({ file: path, definition: name, version, created }, 'definition applied');
      } catch (err) {
        logger.error({ file: path, err: (err as Error).message }, 'definition file refused');
      }
    }
  }
}
