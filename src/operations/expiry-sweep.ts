import type { App } from '../app/app.js';
import { DAY_MS } from '../clock/durations.js';

/** Rows one statement of the sweep removes at most, so no statement holds many at once. */
const PURGE_BATCH = 1_000;

export interface ExpirySweepSummary {
  /** Narratives newly marked outdated (`memory_expired`) because a memory they used expired. */
  narrativesOutdated: number;
  /** Expired memories removed for good, past the retention. */
  memoriesPurged: number;
}

/**
 * The periodic side of expiry. Reads need none of it to be correct (an expired memory is filtered
 * out on the clock's time, and a narrative's `source_expires_at` outdates it by itself); it marks
 * the narratives that used an expired memory, so they are listed with the reason and refreshed
 * proactively, and removes the rows of memories that expired more than `retentionDays` ago.
 */
export async function sweepExpiredMemories(app: App, retentionDays: number): Promise<ExpirySweepSummary> {
  const now = app.clock.now();
  const outdated = await app.repositories.narratives.markExpiredSources(new Date(now));
  for (const userId of outdated) app.engine.tier.invalidate(userId);
  const before = new Date(now - retentionDays * DAY_MS);
  let memoriesPurged = 0;
  for (;;) {
    const purged = await app.repositories.memories.purgeExpired(before, PURGE_BATCH);
    memoriesPurged += purged;
    if (purged < PURGE_BATCH) break;
  }
  return { narrativesOutdated: outdated.length, memoriesPurged };
}
