/**
 * The `attacks` scenario (SPEC §18, issue 25): how fast one agent's health
 * answers while each attack of test/helpers/attacks.ts runs against it,
 * probed every 100 ms, with the heartbeat checked in Redis at each probe.
 * The test asserts that every probe is answered and the heartbeat never
 * lapses; the milliseconds are this scenario's to measure.
 */
import { replayAttacks, watchHealth } from '../test/helpers/attacks.js';
import { percentile, Rig, round } from './rig.js';

export async function attackFigures(
  redisUrl: string,
  prefix: string,
): Promise<Record<string, number | string>> {
  const rig = await Rig.start(redisUrl, prefix, 4);
  const watcher = watchHealth(rig.url, redisUrl, `${prefix}:node:bench:alive`);
  try {
    await replayAttacks({ url: rig.url, admin: {} }, watcher);
  } finally {
    await watcher.stop();
    await rig.stop();
  }
  const out: Record<string, number | string> = {};
  let slowest = 0;
  for (const [phase, seen] of watcher.phases) {
    out[`${phase}_health_max_ms`] = round(seen.slowestMs);
    out[`${phase}_health_p99_ms`] = round(percentile(seen.latencies, 99));
    slowest = Math.max(slowest, seen.slowestMs);
    out.failed_probes = Number(out.failed_probes ?? 0) + seen.failed.length;
    out.heartbeat_lapses = Number(out.heartbeat_lapses ?? 0) + seen.lapsed;
  }
  out.health_max_ms = round(slowest);
  return out;
}
