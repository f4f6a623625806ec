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

export type StaleReason = 'expired' | 'new_memories' | 'memory_deleted';

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
  if (narrative.invalidated_at) reasons.push('memory_deleted');
  return reasons.length === 0 ? { state: 'fresh', ageMs } : { state: 'stale', ageMs, reasons };
}
