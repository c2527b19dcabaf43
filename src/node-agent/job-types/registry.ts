/**
 * The job types this node runs now, by name: the built-in ones, and the
 * plugin versions the loader installs and replaces (SPEC §11), each with
 * its params check compiled once. Serves validation (LocalTypes), the
 * runner, and what the node publishes of its types. A version that failed
 * to load is kept as an error beside the entry it did not replace.
 */
import type { LocalTypes } from '../../admission/cluster-catalog.js';
import { paramsCheckOf } from '../../jobtree/params-check.js';
import type { ParamsCheck } from '../../jobtree/validate.js';
import type { JsonObject, LoadedTypeInfo, TypeSource } from '../../shared/types.js';
import type { JobType } from './job-type.js';

/** What holds a plugin version loaded while a registry entry points at it. */
export interface VersionOwner {
  attach(): void;
  detach(): void;
}

export interface TypeEntry {
  type: JobType;
  source: TypeSource;
  kind: 'builtin' | 'module' | 'executable';
  /** What jobs record as `typeVersion`; undefined for built-in types. */
  version?: string;
  sha256?: string;
  check: ParamsCheck;
  owner?: VersionOwner;
}

export class TypeRegistry implements LocalTypes {
  private readonly entries = new Map<string, TypeEntry>();
  private readonly errors = new Map<
    string,
    { source: TypeSource; error: string; version?: string }
  >();

  /** Adds an in-process type (the built-ins, or an embedder's); a second of one name is an error. */
  register<P extends JsonObject>(type: JobType<P>): void {
    if (this.entries.has(type.name)) throw new Error(`job type ${type.name} is registered twice`);
    this.entries.set(type.name, {
      type: type as unknown as JobType,
      source: 'builtin',
      kind: 'builtin',
      check: paramsCheckOf(type.paramsSchema),
    });
  }

  /**
   * Makes `entry` the version of `name` that new jobs get. The version it
   * replaces is detached: it unloads once its running jobs end. Throws
   * (changing nothing) when the type's params schema does not compile.
   */
  install(name: string, entry: Omit<TypeEntry, 'check'>): void {
    const check = paramsCheckOf(entry.type.paramsSchema);
    const old = this.entries.get(name);
    if (old?.source === 'builtin') throw new Error(`${name} is a built-in type`);
    entry.owner?.attach();
    this.entries.set(name, { ...entry, check });
    this.errors.delete(name);
    old?.owner?.detach();
  }

  /** Removes a plugin type: new jobs cannot get it; running ones go on. */
  remove(name: string): void {
    const old = this.entries.get(name);
    if (!old || old.source === 'builtin') return;
    this.entries.delete(name);
    this.errors.delete(name);
    old.owner?.detach();
  }

  /** Records why a version of `name` failed to load; the entry in use (if any) stays. */
  fail(name: string, source: TypeSource, error: string, version?: string): void {
    this.errors.set(name, { source, error, ...(version !== undefined ? { version } : {}) });
  }

  /** Forgets the error of a type whose source is gone. */
  clearError(name: string): void {
    this.errors.delete(name);
  }

  get(name: string): TypeEntry | undefined {
    return this.entries.get(name);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  paramsCheck(type: string): ParamsCheck | undefined {
    return this.entries.get(type)?.check;
  }

  isBuiltin(type: string): boolean {
    return this.entries.get(type)?.source === 'builtin';
  }

  /** What the node publishes (SPEC §11): each type's version and schema, or its load error. */
  describe(): Record<string, LoadedTypeInfo> {
    const out: Record<string, LoadedTypeInfo> = {};
    for (const [name, e] of this.entries) {
      out[name] = {
        source: e.source,
        kind: e.kind,
        paramsSchema: e.type.paramsSchema,
        version: e.version ?? 'builtin',
        ...(e.sha256 !== undefined ? { sha256: e.sha256 } : {}),
      };
    }
    for (const [name, e] of this.errors) {
      const ok = out[name];
      out[name] = ok ? { ...ok, error: e.error } : { source: e.source, error: e.error };
    }
    return out;
  }

  /** Unloads every plugin version (the agent stops). */
  clear(): void {
    for (const name of [...this.entries.keys()]) this.remove(name);
  }
}
