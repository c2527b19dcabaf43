/**
 * The worker process of one module job type version (SPEC §11 isolation):
 * imports the module, runs its jobs with a ctx whose log, addChildren and
 * signal are bridged to the agent over IPC. Anything thrown outside a
 * job's own promise ends this process, which fails its jobs TYPE_CRASHED
 * in the agent; never the agent itself. Runs as compiled JS (forked).
 */
import { pathToFileURL } from 'node:url';
import type { ExportedType, FromWorker, JobData, ToWorker } from './protocol.js';

interface ModuleType {
  name: string;
  paramsSchema: Record<string, unknown>;
  run(ctx: unknown): Promise<unknown>;
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.:-]{0,63}$/;
const types = new Map<string, ModuleType>();
const jobs = new Map<string, AbortController>();
const grafts = new Map<number, { resolve(ids: string[]): void; reject(err: Error): void }>();
let nextGraft = 1;

function send(message: FromWorker): void {
  process.send?.(message);
}

function die(what: string, err: unknown): void {
  const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
  send({ t: 'crash', message: `${what}: ${message}` });
  // let the message leave before the process goes
  setImmediate(() => process.exit(70));
}

process.on('uncaughtException', (err) => die('uncaught exception', err));
process.on('unhandledRejection', (err) => die('unhandled rejection', err));
process.on('disconnect', () => process.exit(0)); // the agent is gone

/** Checks the module's default export: a type or an array of them. */
function exportsOf(mod: { default?: unknown }): ModuleType[] {
  const exported = mod.default;
  if (exported === undefined) throw new Error('the module has no default export');
  const list = Array.isArray(exported) ? exported : [exported];
  if (list.length === 0) throw new Error('the default export is an empty array');
  return list.map((t: unknown, i) => {
    const at = Array.isArray(exported) ? `default[${i}]` : 'default';
    if (!t || typeof t !== 'object') throw new Error(`${at} is not a job type object`);
    const type = t as Partial<ModuleType>;
    if (typeof type.name !== 'string' || !NAME_RE.test(type.name))
      throw new Error(`${at}.name: want a job type name like "deploy-docker"`);
    if (typeof type.run !== 'function') throw new Error(`${at}.run: not a function`);
    if (
      type.paramsSchema !== undefined &&
      (typeof type.paramsSchema !== 'object' || type.paramsSchema === null)
    )
      throw new Error(`${at}.paramsSchema: not a JSON Schema object`);
    return {
      name: type.name,
      paramsSchema: type.paramsSchema ?? { type: 'object' },
      run: type.run.bind(type),
    };
  });
}

async function load(file: string): Promise<void> {
  try {
    const list = exportsOf((await import(pathToFileURL(file).href)) as { default?: unknown });
    for (const t of list) types.set(t.name, t);
    const out: ExportedType[] = list.map((t) => ({
      name: t.name,
      paramsSchema: JSON.parse(JSON.stringify(t.paramsSchema)) as ExportedType['paramsSchema'],
    }));
    send({ t: 'loaded', types: out });
  } catch (err) {
    send({ t: 'loadFailed', message: err instanceof Error ? err.message : String(err) });
  }
}

async function run(typeName: string, job: JobData): Promise<void> {
  const type = types.get(typeName);
  const controller = new AbortController();
  jobs.set(job.id, controller);
  const ctx = {
    ...job,
    signal: controller.signal,
    log: (line: string, source: 'job' | 'stdout' | 'stderr' | 'file' = 'job') =>
      send({ t: 'log', id: job.id, line: String(line), source }),
    addChildren: (parentId: string, specs: unknown[]) =>
      new Promise<string[]>((resolve, reject) => {
        const req = nextGraft++;
        grafts.set(req, { resolve, reject });
        send({ t: 'graft', id: job.id, req, parentId, jobs: specs as never });
      }),
  };
  try {
    if (!type) throw new Error(`this worker has no type ${typeName}`);
    const out = ((await type.run(ctx)) ?? {}) as Record<string, unknown>;
    const outcome: Record<string, unknown> = {};
    for (const k of ['result', 'summary', 'context'] as const)
      if (out[k] !== undefined) outcome[k] = out[k];
    send({ t: 'done', id: job.id, outcome });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    send({
      t: 'failed',
      id: job.id,
      error: { code: 'THROWN', message: e.message },
      ...(e.stack ? { stack: e.stack } : {}),
    });
  } finally {
    jobs.delete(job.id);
  }
}

process.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'load':
      void load(m.file);
      break;
    case 'run':
      void run(m.type, m.job);
      break;
    case 'abort':
      jobs.get(m.id)?.abort(new Error(m.reason));
      break;
    case 'grafted': {
      const g = grafts.get(m.req);
      grafts.delete(m.req);
      if (m.ids) g?.resolve(m.ids);
      else g?.reject(new Error(m.error ?? 'graft failed'));
      break;
    }
  }
});
