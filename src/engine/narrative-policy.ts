import { DAY_MS } from '../clock/durations.js';
import type { Config } from '../config/config.js';
import type { NarrativeRow } from '../db/database-schema.js';

/** When a narrative is fresh, stale or missing, and who is eligible for one. */
export interface NarrativePolicy {
  ttlMs: number;
  maxStaleMs: number;
  minMemories: number;
  invalidateAfterNewMemories: number;
  /** How long revisions may build on one another before the narrative is rebuilt from the memories. */
  fullRebuildMs: number;
}

export function narrativePolicyFrom(config: Config): NarrativePolicy {
  return {
    ttlMs: config.NARRATIVE_TTL_DAYS * DAY_MS,
    maxStaleMs: Math.max(config.NARRATIVE_MAX_STALE_DAYS, config.NARRATIVE_TTL_DAYS) * DAY_MS,
    minMemories: config.NARRATIVE_MIN_MEMORIES,
    invalidateAfterNewMemories: config.NARRATIVE_INVALIDATE_AFTER_NEW_MEMORIES,
    fullRebuildMs: config.NARRATIVE_FULL_REBUILD_DAYS * DAY_MS,
  };
}

export type StaleReason = 'expired' | 'new_memories' | InvalidationReason;

/** A change to a memory the narrative was built from, which outdates it at once. */
export type InvalidationReason = 'memory_deleted' | 'memory_updated';
const INVALIDATION_REASONS: readonly InvalidationReason[] = ['memory_deleted', 'memory_updated'];

/**
 * Why an outdated narrative is outdated: the reasons stored on its row (comma-separated, as
 * `invalidateIfBuiltFrom` keeps them). A row marked without a known one was marked by a deletion,
 * the only reason there was before memories could be updated. Empty for a narrative not outdated.
 */
export function invalidationReasons(narrative: NarrativeRow): InvalidationReason[] {
  if (narrative.invalidated_at === null) return [];
  const stored = narrative.invalidated_reason?.split(',') ?? [];
  const known = INVALIDATION_REASONS.filter((reason) => stored.includes(reason));
  return known.length > 0 ? known : ['memory_deleted'];
}

export type NarrativeAssessment =
  | { state: 'fresh'; ageMs: number }
  | { state: 'stale'; ageMs: number; reasons: StaleReason[] }
  | { state: 'missing'; reason: 'none' | 'too_old'; ageMs?: number };

/** Judges a cached narrative from its own row alone, so the read path needs no other query. */
export function assessNarrative(narrative: NarrativeRow | undefined, now: number, policy: NarrativePolicy): NarrativeAssessment {
  if (!narrative) return { state: 'missing', reason: 'none' };
  const ageMs = Math.max(0, now - narrative.generated_at.getTime());
  if (ageMs > policy.maxStaleMs) return { state: 'missing', reason: 'too_old', ageMs };
  const reasons: StaleReason[] = [];
  if (ageMs > policy.ttlMs) reasons.push('expired');
  if (narrative.memories_added_since >= policy.invalidateAfterNewMemories) reasons.push('new_memories');
  if (narrative.invalidated_at) reasons.push(...invalidationReasons(narrative));
  return reasons.length === 0 ? { state: 'fresh', ageMs } : { state: 'stale', ageMs, reasons };
}
