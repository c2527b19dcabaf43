/**
 * `jobtree types ls|add|rm` (SPEC §11): the cluster's job types, which
 * version every node has loaded (or why it failed), registration of a
 * module file, deregistration.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import type { ApiClient } from '../client.js';
import { CliError, EXIT } from '../client.js';
import { formatLoadErrors, formatTable } from '../table.js';
import type { Print } from './trees.js';

interface TypeListing {
  name: string;
  source: string;
  versions: Array<{ version: string | number; sha256?: string; at?: number }>;
  nodes: Record<string, { version?: string; error?: string }>;
}

export async function listTypes(
  client: ApiClient,
  opts: { json?: boolean },
  print: Print,
): Promise<number> {
  const res = await client.call<{ types: TypeListing[] }>('GET', '/api/v1/job-types');
  if (opts.json) {
    print(JSON.stringify(res));
    return EXIT.OK;
  }
  const rows = [['TYPE', 'SOURCE', 'LATEST', 'SHA256', 'NODES']];
  const errors: string[] = [];
  for (const t of res.types) {
    const latest = t.versions[t.versions.length - 1];
    const nodes = Object.entries(t.nodes).map(([node, n]) => {
      if (n.error !== undefined) errors.push(`${t.name} on ${node}: ${n.error}`);
      return n.version === undefined ? `${node}(failed)` : `${node}@${n.version}`;
    });
    rows.push([
      t.name,
      t.source,
      String(latest?.version ?? '-'),
      latest?.sha256?.slice(0, 12) ?? '-',
      nodes.join(',') || '-',
    ]);
  }
  print(formatTable(rows));
  const loadErrors = formatLoadErrors(errors);
  if (loadErrors) print(loadErrors);
  return EXIT.OK;
}

export async function addType(
  client: ApiClient,
  file: string,
  opts: { name?: string },
  print: Print,
): Promise<number> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.USAGE);
  }
  const name = opts.name ?? basename(file, extname(file));
  const res = await client.send<{ name: string; version: number; sha256: string }>(
    'PUT',
    `/api/v1/job-types/${encodeURIComponent(name)}`,
    source,
    'application/javascript',
  );
  const same = res.status === 200 ? ' (unchanged: the latest version has this source)' : '';
  print(`${res.body.name} version ${res.body.version} sha256 ${res.body.sha256}${same}`);
  return EXIT.OK;
}

export async function removeType(client: ApiClient, name: string, print: Print): Promise<number> {
  await client.call('DELETE', `/api/v1/job-types/${encodeURIComponent(name)}`);
  print(`${name} removed: new jobs of it are refused; running ones go on`);
  return EXIT.OK;
}
