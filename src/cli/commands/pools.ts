/** `jobtree pools [set NAME SLOTS | rm NAME]` (SPEC §12): shared slots across the cluster. */
import type { PoolView } from '../../shared/types.js';
import type { ApiClient } from '../client.js';
import { CliError, EXIT } from '../client.js';
import { formatTable } from '../table.js';
import type { Print } from './trees.js';

export async function listPools(
  client: ApiClient,
  opts: { json?: boolean },
  print: Print,
): Promise<number> {
  const res = await client.call<{ pools: PoolView[] }>('GET', '/api/v1/pools');
  if (opts.json) {
    print(JSON.stringify(res));
    return EXIT.OK;
  }
  const rows = [['POOL', 'SLOTS', 'USED', 'WAITING', 'DESCRIPTION']];
  for (const p of res.pools)
    rows.push([p.name, String(p.slots), String(p.used), String(p.queued), p.description ?? '']);
  print(formatTable(rows));
  return EXIT.OK;
}

export async function setPool(
  client: ApiClient,
  name: string,
  slots: string,
  opts: { description?: string },
  print: Print,
): Promise<number> {
  if (!/^\d+$/.test(slots))
    throw new CliError(`SLOTS: want a whole number, got ${slots}`, EXIT.USAGE);
  const res = await client.send<{ created: boolean }>(
    'PUT',
    `/api/v1/pools/${encodeURIComponent(name)}`,
    JSON.stringify({
      slots: Number(slots),
      ...(opts.description !== undefined ? { description: opts.description } : {}),
    }),
  );
  print(`pool ${name}: ${slots} slots${res.body.created ? ' (created)' : ''}`);
  return EXIT.OK;
}

export async function removePool(client: ApiClient, name: string, print: Print): Promise<number> {
  await client.call('DELETE', `/api/v1/pools/${encodeURIComponent(name)}`);
  print(`pool ${name} deleted`);
  return EXIT.OK;
}
