/**
 * A job's own token (SPEC §18 `JOBTREE_JOB_TOKEN`): what a running job
 * calls its agent with instead of a cluster token. It names the job's tree,
 * the job and the try, signed with the agent's key (HMAC-SHA256), and is
 * good only while this agent runs that try: a finished, retried or foreign
 * job's token is no token. Stateless, so a job re-attached after an agent
 * restart (SPEC §16) keeps a token that works, the key being on disk.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { JobIdentity, JobTokenCheck } from './tokens.js';

const PREFIX = 'jtj_';
const UUID = '[0-9a-fA-F-]{36}';
const TOKEN_RE = new RegExp(`^${PREFIX}(${UUID})_(${UUID})_(\\d{1,6})_([A-Za-z0-9_-]{43})$`);

export interface RunningTry {
  /** True while this agent runs try `attempt` of job `id` of tree `root`. */
  runs(root: string, id: string, attempt: number): boolean;
}

export class JobTokens implements JobTokenCheck {
  /** `key`: 32 random bytes that never leave the agent (data dir, 0600). */
  constructor(
    private readonly key: Buffer,
    private readonly running: RunningTry,
  ) {}

  private mac(root: string, id: string, attempt: number): string {
    return createHmac('sha256', this.key).update(`${root}/${id}/${attempt}`).digest('base64url');
  }

  /** The token of try `attempt` of a job. */
  mint(root: string, id: string, attempt: number): string {
    return `${PREFIX}${root}_${id}_${attempt}_${this.mac(root, id, attempt)}`;
  }

  verify(given: string): JobIdentity | null {
    const m = TOKEN_RE.exec(given);
    if (!m) return null;
    const [, root = '', job = '', attemptText = '', mac = ''] = m;
    const attempt = Number(attemptText);
    const want = Buffer.from(this.mac(root, job, attempt));
    const got = Buffer.from(mac);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return null;
    return this.running.runs(root, job, attempt) ? { root, job } : null;
  }
}
