/**
 * The hard limits of SPEC §3 on what one submission may hold. Pure constants,
 * shared by validation, planning and the API's body limit.
 */
export const LIMITS = Object.freeze({
  maxJobs: 100_000,
  /**
   * SPEC §17: one graft is one script, which must not hold Redis 50 ms. It
   * costs about twice a submission of as many jobs: 1,000 took 45–55 ms in a
   * busy two-core VM (submitting 1,000: 18–33 ms), 500 half that. A bigger
   * growth is grafted in several requests, each atomic.
   */
  maxGraftJobs: 500,
  /**
   * SPEC §17, §18: a tree of more jobs answers in pages unless a depth is
   * asked, and reading one is a big read (at most limits.bigReads at once).
   */
  fullTreeJobs: 10_000,
  maxDepth: 64,
  maxParamsBytes: 64 * 1024,
  maxResultBytes: 1024 * 1024,
  maxTags: 16,
  maxTagValue: 256,
  maxTitle: 200,
  maxBodyBytes: 16 * 1024 * 1024,
  /** A registered job type's module source (SPEC §11). */
  maxTypeSourceBytes: 4 * 1024 * 1024,
  /** The most slots a pool may have, and a job may hold. */
  maxPoolSlots: 100_000,
  /** SPEC §14: a job is tried at most this often, and waits at most a day between tries. */
  maxAttempts: 20,
  maxRetryDelayMs: 24 * 3600 * 1000,
  /** Nesting of any JSON value in a body: deep enough for 64 job levels plus params. */
  maxNesting: 512,
});

export const TAG_KEY_RE = /^[a-z0-9_.-]{1,64}$/;

/** The job types every node has built in (SPEC §5); no plugin may take their names. */
export const BUILTIN_TYPES: ReadonlySet<string> = new Set(['shell', 'sleep', 'noop']);
