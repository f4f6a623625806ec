/**
 * Who goes first when LLM capacity is short, among background jobs and among calls waiting for the
 * per-minute limit: a person waiting (manual), then the request path (a conversation start's
 * analysis, a narrative missing or stale when asked for), then the scheduled refresh, then backfill.
 */
export const JOB_PRIORITIES = { manual: 3, miss: 2, scheduled: 1, backfill: 0 } as const;

export type JobPriority = keyof typeof JOB_PRIORITIES;

export function higherPriority(a: JobPriority, b: JobPriority): JobPriority {
  return JOB_PRIORITIES[a] >= JOB_PRIORITIES[b] ? a : b;
}
