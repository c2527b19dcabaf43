/** Small display helpers shared by the views. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function ago(at: number, now: number): string {
  return `${duration(now - at)} ago`;
}

export function clock(at: number): string {
  return new Date(at).toLocaleString();
}

/** How long a job ran (or has been running), or null before it started. */
export function runTime(
  job: { startedAt?: number; finishedAt?: number },
  now: number,
): number | null {
  if (job.startedAt === undefined) return null;
  return (job.finishedAt ?? now) - job.startedAt;
}
