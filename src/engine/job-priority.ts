/** Background work order when LLM capacity is short: a person waiting comes first. */
export const JOB_PRIORITIES = { manual: 3, miss: 2, scheduled: 1, backfill: 0 } as const;

export type JobPriority = keyof typeof JOB_PRIORITIES;

export function higherPriority(a: JobPriority, b: JobPriority): JobPriority {
  return JOB_PRIORITIES[a] >= JOB_PRIORITIES[b] ? a : b;
}
