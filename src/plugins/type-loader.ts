/**
 * Keeps the node's plugin types in step with their sources (SPEC §11): the
 * job-type directories (scanned every SCAN_MS, so a change takes effect
 * well within 2 s) and the cluster's registrations (looked at when a
 * change is published, and on every heartbeat in case that message was
 * lost). A version that fails to load is recorded and never replaces the
 * one in use; a file's content that failed is not tried again until it
 * changes. One change at a time: syncs are queued.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Logger } from 'pino';
import { paramsCheckOf } from '../jobtree/params-check.js';
import type { RecordsPort } from '../store/store.js';
import { isResourceName } from '../shared/ids.js';
import type { TypeRegistry } from '../node-agent/job-types/registry.js';
import { DirScan, type TypeFile } from './dir-scan.js';
import { executableType } from './executable-type.js';
import { sha256Of } from '../shared/sha256.js';
import { ModuleVersion, type VersionOptions } from './module-version.js';

const SCAN_MS = 500;

export interface LoaderOptions extends VersionOptions {
  dirs: readonly string[];
  acceptRegistered: boolean;
  /** Where registered modules are written to be imported. */
  cacheDir: string;
}

/** A type name from a file name: `deploy-docker.mjs` → `deploy-docker`. */
function nameOf(path: string): string {
  return basename(path, extname(path));
}

export class TypeLoader {
  private scan: DirScan;
  private readonly files = new Map<string, { sha256: string; names: string[] }>();
  private readonly failed = new Map<string, string>();
  private readonly registered = new Map<string, number>();
  private revision = -1;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly store: RecordsPort,
    private readonly registry: TypeRegistry,
    private options: LoaderOptions,
    private readonly logger: Logger,
    /** Called after each sync that changed what the node runs. */
    private readonly onChange: () => void,
  ) {
    this.scan = new DirScan(options.dirs);
  }

  /** Loads what the sources hold now, then keeps watching them. */
  async start(): Promise<void> {
    for (const dir of this.options.dirs) mkdirSync(dir, { recursive: true });
    mkdirSync(this.options.cacheDir, { recursive: true, mode: 0o700 });
    await this.enqueue(() => this.syncDirs());
    await this.enqueue(() => this.syncRegistered());
    const tick = (): void => {
      void this.enqueue(() => this.syncDirs()).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, SCAN_MS).unref();
      });
    };
    this.timer = setTimeout(tick, SCAN_MS).unref();
  }

  /** Watches other directories from now on (a config reload); their types load at the next scan. */
  setDirs(dirs: readonly string[]): void {
    for (const dir of dirs) mkdirSync(dir, { recursive: true });
    this.options = { ...this.options, dirs };
    this.scan = new DirScan(dirs);
  }

  /** A registration changed somewhere (or a heartbeat asks): look again. */
  checkRegistered(): void {
    if (!this.stopped) void this.enqueue(() => this.syncRegistered());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.queue;
    this.registry.clear();
  }

  private enqueue(step: () => Promise<boolean>): Promise<void> {
    this.queue = this.queue
      .then(async () => {
        if (!this.stopped && (await step())) this.onChange();
      })
      .catch((err: unknown) => this.logger.warn({ err }, 'job type sync failed'));
    return this.queue;
  }

  private async syncDirs(): Promise<boolean> {
    const files = await this.scan.files();
    const present = new Set(files.map((f) => f.path));
    let changed = false;
    for (const [path, loaded] of this.files) {
      if (present.has(path)) continue;
      for (const name of loaded.names) this.registry.remove(name);
      this.files.delete(path);
      this.revision = -1; // a registered type of one of these names may take its place now
      this.logger.info({ file: path, types: loaded.names }, 'job type file removed');
      changed = true;
    }
    for (const [path] of this.failed) {
      if (!present.has(path)) {
        this.failed.delete(path);
        this.registry.clearError(nameOf(path));
        changed = true;
      }
    }
    for (const f of files) {
      if (this.files.get(f.path)?.sha256 === f.sha256 || this.failed.get(f.path) === f.sha256)
        continue;
      changed = (await this.loadFile(f)) || changed;
    }
    return changed;
  }

  /** Loads one directory file as a new version; true when the registry changed. */
  private async loadFile(f: TypeFile): Promise<boolean> {
    const version = f.sha256.slice(0, 12);
    try {
      let names: string[];
      if (f.kind === 'executable') {
        const name = nameOf(f.path);
        if (!isResourceName(name)) throw new Error(`"${name}" is not a job type name`);
        this.registry.install(name, {
          type: executableType(name, f.path),
          source: 'dir',
          kind: 'executable',
          version,
          sha256: f.sha256,
        });
        names = [name];
      } else {
        const loaded = await ModuleVersion.load(
          {
            file: f.path,
            sha256: f.sha256,
            version,
            source: 'dir',
            label: `${basename(f.path)}@${version}`,
          },
          this.options,
        );
        names = this.installAll(
          loaded,
          loaded.types.map((t) => [t.name, t.name]),
          'dir',
        );
      }
      for (const old of this.files.get(f.path)?.names ?? [])
        if (!names.includes(old)) this.registry.remove(old);
      this.files.set(f.path, { sha256: f.sha256, names });
      this.failed.delete(f.path);
      this.logger.info({ file: f.path, types: names, version }, 'job type loaded');
    } catch (err) {
      const message = (err as Error).message;
      this.failed.set(f.path, f.sha256);
      for (const name of this.files.get(f.path)?.names ?? [nameOf(f.path)])
        this.registry.fail(name, 'dir', message, version);
      this.logger.error(
        { file: f.path, version, err: message },
        'job type failed to load; the version in use stays',
      );
    }
    return true;
  }

  /**
   * Installs every [exported, as] pair of a loaded version, or none: a
   * schema that does not compile refuses the whole version.
   */
  private installAll(
    loaded: ModuleVersion,
    pairs: Array<[string, string]>,
    source: 'dir' | 'registered',
  ): string[] {
    const entries = pairs.map(([exported, as]) => ({ as, type: loaded.jobType(exported, as) }));
    try {
      for (const e of entries) {
        if (this.registry.isBuiltin(e.as)) throw new Error(`${e.as} is a built-in type`);
        paramsCheckOf(e.type.paramsSchema); // throws for a bad schema before anything is installed
      }
      for (const e of entries) {
        this.registry.install(e.as, {
          type: e.type,
          source,
          kind: 'module',
          version: loaded.id.version,
          sha256: loaded.id.sha256,
          owner: loaded,
        });
      }
    } finally {
      // a version that no entry took (refused, or exporting nothing usable) goes at once
      loaded.closeIfUnused();
    }
    return entries.map((e) => e.as);
  }

  private dirNames(): Set<string> {
    return new Set([...this.files.values()].flatMap((f) => f.names));
  }

  private async syncRegistered(): Promise<boolean> {
    if (!this.options.acceptRegistered) return false;
    const revision = await this.store.jobTypes.revision();
    if (revision === this.revision) return false;
    const list = await this.store.jobTypes.list();
    const fromDirs = this.dirNames();
    let changed = false;
    for (const r of list) {
      if (fromDirs.has(r.name)) continue; // a directory type wins on its own node
      if (this.registered.get(r.name) === r.latest.version) continue;
      changed = (await this.loadRegistered(r.name, r.latest.version, r.latest.sha256)) || changed;
    }
    const names = new Set(list.map((r) => r.name));
    for (const name of [...this.registered.keys()]) {
      if (names.has(name)) continue;
      this.registered.delete(name);
      // a directory type of the same name may have taken its place since: that one stays
      if (this.registry.get(name)?.source !== 'dir') this.registry.remove(name);
      this.logger.info({ type: name }, 'registered job type removed');
      changed = true;
    }
    this.revision = revision;
    return changed;
  }

  private async loadRegistered(name: string, version: number, sha256: string): Promise<boolean> {
    const source = await this.store.jobTypes.source(name, version);
    if (source === null) return false; // replaced meanwhile: the next revision has it
    const file = join(this.options.cacheDir, `${name}-${version}-${sha256.slice(0, 12)}.mjs`);
    try {
      if (sha256Of(source) !== sha256) throw new Error('its source does not match its sha256');
      writeFileSync(file, source, { mode: 0o600 }); // SPEC §18: no source world-readable
      const loaded = await ModuleVersion.load(
        {
          file,
          sha256,
          version: String(version),
          source: 'registered',
          label: `${name} v${version}`,
        },
        this.options,
        () => rmSync(file, { force: true }),
      );
      const exported =
        loaded.types.find((t) => t.name === name) ??
        (loaded.types.length === 1 ? loaded.types[0] : undefined);
      if (!exported) {
        loaded.close();
        throw new Error(`the module exports no type named ${name}`);
      }
      this.installAll(loaded, [[exported.name, name]], 'registered');
      this.logger.info({ type: name, version }, 'registered job type loaded');
    } catch (err) {
      rmSync(file, { force: true });
      this.registry.fail(name, 'registered', (err as Error).message, String(version));
      this.logger.error(
        { type: name, version, err: (err as Error).message },
        'registered job type failed to load; the version in use stays',
      );
    }
    // a failed version is not tried again until a new one is registered
    this.registered.set(name, version);
    return true;
  }
}
