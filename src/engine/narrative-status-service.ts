import type { Clock } from '../clock/clock.js';
import { SECOND_MS } from '../clock/durations.js';
import type { RepositorySet } from '../repositories/repository-set.js';
import { narrativeChanges, type NarrativeChanges } from './narrative-changes.js';
import type { JobState, NarrativeJobRunner } from './narrative-job-runner.js';
import { assessNarrative, invalidationReasons, type NarrativePolicy, type StaleReason } from './narrative-policy.js';

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
    memory_updated_since: boolean;
    memory_expired_since: boolean;
    provider: string;
    model: string;
    built_from_memories: number;
    generation_ms: number;
    /** How this version was written: from the memories (`full`) or revised with those added since (`incremental`). */
    build_kind: 'full' | 'incremental';
    last_full_build_at: string | null;
    /** The tokens this version's generation cost, when the provider reported them (the offline provider does not). */
    tokens: { input: number; output: number } | null;
  } | null;
  job: JobState;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_failure: { at: string; kind: string; message: string; consecutive_failures: number } | null;
  /** When the narrative goes stale by age and is rewritten on the next request, if nothing else comes first. */
  next_refresh_at: string | null;
  /** What changed from the version the current one replaced; null for a first version. */
  changes: NarrativeChanges | null;
}

export class NarrativeStatusService {
  constructor(
    private readonly deps: { repositories: RepositorySet; runner: NarrativeJobRunner; clock: Clock; policy: NarrativePolicy },
  ) {}

  async status(userId: string): Promise<NarrativeStatus> {
    const { repositories, runner, clock, policy } = this.deps;
    const now = clock.now();
    const [narrative, count, state] = await Promise.all([
      repositories.narratives.get(userId),
      repositories.memories.count(userId),
      repositories.generationState.get(userId),
    ]);
    const assessment = assessNarrative(narrative, now, policy);
    // A success resets the count, so it says whether the last attempt failed without comparing
    // timestamps, which may tie or come from the skewed clocks of several processes.
    const failedLast = (state?.consecutive_failures ?? 0) > 0;
    const outdatedBy = narrative ? invalidationReasons(narrative, now) : [];
    const changes = narrative ? await narrativeChanges(repositories, userId, narrative, now) : null;
    return {
      eligible: count >= policy.minMemories,
      memory_count: count,
      min_memories: policy.minMemories,
      narrative: narrative
        ? {
            version: narrative.version,
            generated_at: narrative.generated_at.toISOString(),
            age_seconds: Math.round((now - narrative.generated_at.getTime()) / SECOND_MS),
            state: assessment.state === 'missing' ? 'expired' : assessment.state,
            stale_reasons: assessment.state === 'stale' ? assessment.reasons : [],
            memories_added_since: narrative.memories_added_since,
            memory_deleted_since: outdatedBy.includes('memory_deleted'),
            memory_updated_since: outdatedBy.includes('memory_updated'),
            memory_expired_since: outdatedBy.includes('memory_expired'),
            provider: narrative.provider,
            model: narrative.model,
            built_from_memories: narrative.source_memory_ids.length,
            generation_ms: narrative.generation_ms,
            build_kind: narrative.build_kind,
            last_full_build_at: narrative.last_full_build_at?.toISOString() ?? null,
            tokens:
              narrative.input_tokens === null || narrative.output_tokens === null
                ? null
                : { input: narrative.input_tokens, output: narrative.output_tokens },
          }
        : null,
      job: runner.state(userId),
      last_attempt_at: state?.last_attempt_at?.toISOString() ?? null,
      last_success_at: state?.last_success_at?.toISOString() ?? null,
      last_failure:
        failedLast && state?.last_failure_at
          ? {
              at: state.last_failure_at.toISOString(),
              kind: state.last_failure_kind ?? 'unknown',
              message: state.last_failure_message ?? '',
              consecutive_failures: state.consecutive_failures,
            }
          : null,
      next_refresh_at: narrative ? new Date(narrative.generated_at.getTime() + policy.ttlMs).toISOString() : null,
      changes,
    };
  }
}
