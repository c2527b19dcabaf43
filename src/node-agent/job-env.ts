/**
 * The environment a job starts from (SPEC §18): the agent's own, without
 * anything that configures the agent or lets a job act as it: the
 * agent's settings (every `JOBTREE_*`, tokens and Redis URL among them)
 * and the IPC channel of a forked agent stay behind. The runner adds the
 * job's own identity (`JOBTREE_JOB_ID`, `JOBTREE_JOB_TOKEN`, …).
 */

/** The IPC channel of an agent that was forked: a job's `node` would take it for its own. */
const AGENT_ONLY = new Set(['NODE_CHANNEL_FD', 'NODE_CHANNEL_SERIALIZATION_MODE']);

/** What a job inherits of the agent's environment `env`. */
export function jobBaseEnv(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name.startsWith('JOBTREE_') || AGENT_ONLY.has(name)) continue;
    out[name] = value;
  }
  return out;
}
