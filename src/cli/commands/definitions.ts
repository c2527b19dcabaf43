/**
 * `jobtree defs ls|show|versions|apply|export|rm` and `jobtree run` (SPEC
 * §13): definitions kept in Redis, written to files only when asked, and
 * run by name with `-p key=value` parameters.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { definitionFromFile } from '../../jobtree/definition.js';
import type { TreeSummary, TreeView } from '../../shared/types.js';
import type { ApiClient } from '../client.js';
import { CliError, EXIT } from '../client.js';
import { renderList, renderTree } from '../render-tree.js';
import { formatTable } from '../table.js';
import { followTree, type Screen } from './follow-tree.js';
import type { Print } from './trees.js';

interface DefinitionListing {
  name: string;
  description: string;
  version: number;
  lastRun?: { root: string; state: string; createdAt: number };
}

const path = (name: string, rest = ''): string =>
  `/api/v1/definitions/${encodeURIComponent(name)}${rest}`;

function readText(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.USAGE);
  }
}

export async function listDefinitions(
  client: ApiClient,
  opts: { json?: boolean },
  print: Print,
): Promise<number> {
  const res = await client.call<{ definitions: DefinitionListing[] }>('GET', '/api/v1/definitions');
  if (opts.json) {
    print(JSON.stringify(res));
    return EXIT.OK;
  }
  const rows = [['DEFINITION', 'VERSION', 'LAST RUN', 'STATE', 'DESCRIPTION']];
  for (const d of res.definitions) {
    rows.push([
      d.name,
      String(d.version),
      d.lastRun?.root ?? '-',
      d.lastRun?.state ?? '-',
      d.description,
    ]);
  }
  print(formatTable(rows));
  return EXIT.OK;
}

export async function showDefinition(
  client: ApiClient,
  name: string,
  opts: { json?: boolean; version?: string },
  print: Print,
): Promise<number> {
  const q = opts.version ? `?version=${encodeURIComponent(opts.version)}` : '';
  const def = await client.call<Record<string, unknown>>('GET', path(name, q));
  if (opts.json) {
    print(JSON.stringify(def));
    return EXIT.OK;
  }
  const [versions, runs, inbox] = await Promise.all([
    client.call<{ versions: Array<{ version: number; createdAt: number; sha256: string }> }>(
      'GET',
      path(name, '/versions'),
    ),
    client.call<{ runs: TreeSummary[] }>('GET', path(name, '/runs?limit=10')),
    client.call<{ messages: Array<{ id: string; postedAt: number }> }>(
      'GET',
      path(name, '/messages'),
    ),
  ]);
  print(
    `definition ${name} version ${String(def.version)}${def.description ? ` — ${String(def.description)}` : ''}`,
  );
  if (def.maxConcurrentRuns) print(`at most ${String(def.maxConcurrentRuns)} run(s) at once`);
  print(`params: ${JSON.stringify(def.params)}`);
  print(
    `\nversions:\n${versions.versions.map((v) => `  ${v.version}  ${new Date(v.createdAt).toISOString()}  ${v.sha256.slice(0, 12)}`).join('\n')}`,
  );
  print(`\nlast runs:\n${runs.runs.length > 0 ? renderList(runs.runs) : '  none'}`);
  if (inbox.messages.length > 0)
    print(
      `\nwaiting messages:\n${inbox.messages.map((m, i) => `  ${i + 1}. ${m.id}  posted ${new Date(m.postedAt).toISOString()}`).join('\n')}`,
    );
  return EXIT.OK;
}

export async function definitionVersions(
  client: ApiClient,
  name: string,
  print: Print,
): Promise<number> {
  const res = await client.call<{
    versions: Array<{ version: number; createdAt: number; sha256: string }>;
  }>('GET', path(name, '/versions'));
  const rows = [['VERSION', 'CREATED', 'SHA256']];
  for (const v of res.versions)
    rows.push([String(v.version), new Date(v.createdAt).toISOString(), v.sha256]);
  print(formatTable(rows));
  return EXIT.OK;
}

export async function applyDefinitions(
  client: ApiClient,
  files: string[],
  print: Print,
): Promise<number> {
  for (const file of files) {
    let parsed;
    try {
      parsed = definitionFromFile(readText(file), basename(file));
    } catch (err) {
      throw new CliError(`${file}: ${(err as Error).message}`, EXIT.USAGE);
    }
    const res = await client.send<{ name: string; version: number }>(
      'PUT',
      path(parsed.name),
      JSON.stringify(parsed.body),
    );
    print(
      `${res.body.name} version ${res.body.version}${res.status === 200 ? ' (unchanged)' : ''}`,
    );
  }
  return EXIT.OK;
}

export async function exportDefinition(
  client: ApiClient,
  name: string,
  file: string | undefined,
  print: Print,
): Promise<number> {
  const d = await client.call<Record<string, unknown>>('GET', path(name));
  const out: Record<string, unknown> = { name: d.name };
  for (const k of ['description', 'params', 'tags', 'maxConcurrentRuns', 'tree'])
    if (d[k] !== null && d[k] !== '' && d[k] !== undefined) out[k] = d[k];
  const text = `${JSON.stringify(out, null, 2)}\n`;
  if (file) {
    writeFileSync(file, text);
    print(`${name} version ${String(d.version)} written to ${file}`);
  } else process.stdout.write(text);
  return EXIT.OK;
}

export async function removeDefinition(
  client: ApiClient,
  name: string,
  print: Print,
): Promise<number> {
  await client.call('DELETE', path(name));
  print(`${name} deleted (its runs go on)`);
  return EXIT.OK;
}

/** `-p key=value`: the value is JSON where it parses as JSON, else a string (SPEC §13). */
export function parseParam(text: string, acc: Record<string, unknown>): Record<string, unknown> {
  const i = text.indexOf('=');
  if (i < 1) throw new CliError(`-p ${text}: want key=value`, EXIT.USAGE);
  const raw = text.slice(i + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a plain string
  }
  return { ...acc, [text.slice(0, i)]: value };
}

export async function runDefinition(
  client: ApiClient,
  name: string,
  opts: {
    param: Record<string, unknown>;
    paramsFile?: string;
    wait?: boolean;
    follow?: boolean;
    queue?: boolean;
    timeout?: string;
    json?: boolean;
  },
  print: Print,
  screen?: Screen,
): Promise<number> {
  let params: Record<string, unknown> = {};
  if (opts.paramsFile) {
    try {
      params = JSON.parse(readText(opts.paramsFile)) as Record<string, unknown>;
    } catch (err) {
      throw new CliError(`${opts.paramsFile}: ${(err as Error).message}`, EXIT.USAGE);
    }
  }
  const body = JSON.stringify({
    params: { ...params, ...opts.param },
    ...(opts.queue ? { queue: true } : {}),
  });
  if (opts.wait && !opts.follow) {
    const t = encodeURIComponent(opts.timeout ?? '3600');
    const res = await client.send<TreeView | { id: string; position: number }>(
      'POST',
      path(name, `/runs?wait=true&timeout=${t}`),
      body,
    );
    if ('id' in res.body) {
      print(`queued as message ${res.body.id} (position ${res.body.position})`);
      return EXIT.OK;
    }
    print(opts.json ? JSON.stringify(res.body) : renderTree(res.body));
    return res.body.state === 'SUCCESS' || res.body.state === 'RUNNING'
      ? EXIT.OK
      : EXIT.TREE_FAILED;
  }
  const res = await client.send<{
    root?: string;
    version?: number;
    id?: string;
    position?: number;
  }>('POST', path(name, '/runs'), body);
  if (res.body.id !== undefined) {
    print(
      opts.json
        ? JSON.stringify(res.body)
        : `queued as message ${res.body.id} (position ${res.body.position})`,
    );
    return EXIT.OK;
  }
  print(
    opts.json ? JSON.stringify(res.body) : `${res.body.root}\t${name} version ${res.body.version}`,
  );
  if (opts.follow && screen && res.body.root) return followTree(client, res.body.root, screen);
  return EXIT.OK;
}
