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
export type InvalidationReason = 'memory_deleted' | 'memory_updated' | 'memory_expired';
const INVALIDATION_REASONS: readonly InvalidationReason[] = ['memory_deleted', 'memory_updated', 'memory_expired'];

/**
 * Why an outdated narrative is outdated at `now`: the reasons stored on its row (comma-separated,
 * as `invalidateIfBuiltFrom` keeps them), and `memory_expired` once the earliest expiry among its
 * memories has come, whether or not a sweep has marked it yet. A row marked without a known reason
 * was marked by a deletion, the only reason there was before memories could be updated. Empty for
 * a narrative not outdated.
 */
export function invalidationReasons(narrative: NarrativeRow, now: number): InvalidationReason[] {
  const stored = narrative.invalidated_at === null ? [] : (narrative.invalidated_reason?.split(',') ?? []);
  const expired = narrative.source_expires_at !== null && narrative.source_expires_at.getTime() <= now;
  const known = INVALIDATION_REASONS.filter((reason) => stored.includes(reason) || (reason === 'memory_expired' && expired));
  if (narrative.invalidated_at !== null && !known.some((reason) => stored.includes(reason))) known.unshift('memory_deleted');
  return known;
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
  reasons.push(...invalidationReasons(narrative, now));
  return reasons.length === 0 ? { state: 'fresh', ageMs } : { state: 'stale', ageMs, reasons };
}
