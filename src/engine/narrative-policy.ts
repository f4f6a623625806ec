import { DAY_MS } from '../clock/durations.js';
import type { Config } from '../config/config.js';

/** When a narrative is fresh, stale or missing, and who is eligible for one. */
export interface NarrativePolicy {
  ttlMs: number;
  maxStaleMs: number;
  minMemories: number;
  invalidateAfterNewMemories: number;
}

export function narrativePolicyFrom(config: Config): NarrativePolicy {
  return {
    ttlMs: config.NARRATIVE_TTL_DAYS * DAY_MS,
    maxStaleMs: Math.max(config.NARRATIVE_MAX_STALE_DAYS, config.NARRATIVE_TTL_DAYS) * DAY_MS,
    minMemories: config.NARRATIVE_MIN_MEMORIES,
    invalidateAfterNewMemories: config.NARRATIVE_INVALIDATE_AFTER_NEW_MEMORIES,
  };
}
