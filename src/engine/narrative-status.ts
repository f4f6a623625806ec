import type { StaleReason } from './assess-narrative.js';
import type { JobState } from './narrative-job-runner.js';

/** What `narrative_status` reports; background failures are visible here, never only in a log. */
export interface NarrativeStatus {
  eligible: boolean;
  memory_count: number;
  min_memories: number;
  narrative: {
    version: number;
    generated_at: string;
    age_seconds: number;
    state: 'fresh' | 'stale' | 'expired';
    stale_reasons: StaleReason[];
    memories_added_since: number;
    memory_deleted_since: boolean;
    provider: string;
    model: string;
    built_from_memories: number;
    generation_ms: number;
  } | null;
  job: JobState;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_failure: { at: string; kind: string; message: string; consecutive_failures: number } | null;
  /** When the narrative goes stale by age and is rewritten on the next request, if nothing else comes first. */
  next_refresh_at: string | null;
}
