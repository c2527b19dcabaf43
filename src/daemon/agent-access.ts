/**
 * What the agent hands its doors (SPEC §18), in one place: the tokens of
 * the three roles, the Host and Origin policy, the gate of big reads, the
 * environment every job starts from, and the job tokens of the jobs it
 * runs. A reload rewrites the tokens and the policy in place, so the API
 * and socket.io, which hold them, see the new ones at their next request.
 */
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { BigReads } from '../access/big-reads.js';
import { HostPolicy, type HostPolicyOptions } from '../access/host-policy.js';
import { JobTokens, type RunningTry } from '../access/job-token.js';
import type { Tokens } from '../access/tokens.js';
import type { Config } from '../config/config.js';
import type { ReadPort } from '../store/store.js';
import { jobBaseEnv } from '../node-agent/job-env.js';
import { readOrMakeSecret } from './secret-file.js';

/** The tokens of a config (SPEC §18 roles). */
function tokensOf(config: Config): Tokens {
  const { token, runToken, readToken } = config.auth;
  return { token, runToken, readToken };
}

/** The names this agent answers to (SPEC §18 Host and Origin). */
function hostOptions(config: Config): HostPolicyOptions {
  const addresses = Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((i) => i.address),
  );
  return {
    host: config.host,
    url: config.url,
    allowedHosts: config.auth.allowedHosts,
    machine: { hostname: hostname(), addresses },
  };
}

export class AgentAccess {
  readonly tokens: Tokens;
  readonly hosts: HostPolicy;
  readonly bigReads: BigReads;
  /** What every job's environment starts from: the agent's without its settings. */
  readonly jobEnv: Record<string, string>;
  private tokensOfJobs: JobTokens | undefined;

  constructor(config: Config, store: ReadPort, env: Readonly<Record<string, string | undefined>>) {
    this.tokens = tokensOf(config);
    this.hosts = new HostPolicy(hostOptions(config));
    this.bigReads = new BigReads(config.limits.bigReads, (root) => store.treeTotal(root));
    this.jobEnv = jobBaseEnv(env);
  }

  /**
   * Makes the job tokens, with the key kept in the data dir (made once,
   * 0600): a job's token outlives an agent restart, so a job re-attached
   * to the next run keeps calling with it (SPEC §16). Call once the data
   * dir is known to be the agent's.
   */
  openJobTokens(dataDir: string, running: RunningTry): JobTokens {
    const key = readOrMakeSecret(join(dataDir, 'job-token.key'));
    this.tokensOfJobs = new JobTokens(Buffer.from(key, 'hex'), running);
    return this.tokensOfJobs;
  }

  /** The job tokens, once opened. */
  get jobTokens(): JobTokens | undefined {
    return this.tokensOfJobs;
  }

  /** Takes the tokens and allowed hosts of a reloaded config. */
  reload(next: Config): void {
    Object.assign(this.tokens, tokensOf(next));
    this.hosts.configure(hostOptions(next));
  }
}
