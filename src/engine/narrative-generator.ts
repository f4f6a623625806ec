import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import { SECOND_MS } from '../clock/durations.js';
import type { NarrativeRow } from '../db/database-schema.js';
import { callWithRetries, type RetryPolicy } from '../llm/call-with-retries.js';
import type { CallRateLimiter } from '../llm/call-rate-limiter.js';
import { LlmError } from '../llm/llm-error.js';
import type { LlmProvider } from '../llm/llm-provider.js';
import type { RepositorySet } from '../repositories/repository-set.js';
import { describeFailure } from './describe-failure.js';
import type { EngineMetrics } from './engine-metrics.js';
import { LeaseLostError, withGenerationLease, type HeldLease } from './generation-lease.js';
import type { HotTier } from './hot-tier.js';
import type { JobPriority } from './job-priority.js';
import { meteredAttempt } from './metered-attempt.js';
import { assessNarrative, type NarrativePolicy } from './narrative-policy.js';
import { selectPromptMemories } from './select-prompt-memories.js';

/** How many of a user's newest memories are considered for one narrative. */
const MAX_CANDIDATE_MEMORIES = 5_000;

export type GenerationOutcome =
  | { status: 'written'; narrative: NarrativeRow }
  /** `locked`: another process holds the user's lease; `lease_lost`: it took the lease over while this one wrote, so nothing was stored. */
  | { status: 'skipped'; reason: 'fresh' | 'locked' | 'lease_lost' | 'not_eligible' | 'shutdown' }
  | { status: 'failed'; kind: string; message: string };

interface GenerateOptions {
  force: boolean;
  signal: AbortSignal;
  priority: JobPriority;
}

export interface NarrativeGeneratorDeps {
  repositories: RepositorySet;
  tier: HotTier;
  /** How long the lease on a user's generation lasts unless renewed (see `withGenerationLease`). */
  leaseMs: number;
  provider: LlmProvider;
  limiter: CallRateLimiter;
  clock: Clock;
  policy: NarrativePolicy;
  retry: RetryPolicy;
  metrics: EngineMetrics;
  logger: Logger;
}

/**
 * Writes one user's narrative: under the lease on the user's generation, re-checks that it is
 * still needed, calls the LLM with retries, and stores the result with a version bump if the
 * lease is still ours. A failure is recorded for `narrative_status` and never touches the
 * stored narrative.
 */
export class NarrativeGenerator {
  constructor(private readonly deps: NarrativeGeneratorDeps) {}

  /** `priority` is the job's: it orders the LLM calls waiting for the per-minute limit. */
  async generate(userId: string, options: GenerateOptions): Promise<GenerationOutcome> {
    const { repositories, clock, leaseMs, logger } = this.deps;
    const leased = await withGenerationLease({ repositories, clock, leaseMs, logger }, userId, options.signal, (lease) =>
      this.#generateLocked(userId, { ...options, signal: lease.signal }, lease),
    );
    if (leased.held) return leased.value;
    return (await repositories.users.findById(userId)) ? { status: 'skipped', reason: 'locked' } : { status: 'skipped', reason: 'not_eligible' };
  }

  async #generateLocked(userId: string, { force, signal, priority }: GenerateOptions, lease: HeldLease): Promise<GenerationOutcome> {
    const { repositories, clock, policy, provider, metrics, logger } = this.deps;
    const startedAt = clock.now();
    const current = await repositories.narratives.get(userId);
    if (!force && assessNarrative(current, startedAt, policy).state === 'fresh') return { status: 'skipped', reason: 'fresh' };
    const stats = await repositories.memories.stats(userId);
    if (stats.count < policy.minMemories) return { status: 'skipped', reason: 'not_eligible' };
    const user = await repositories.users.findById(userId);
    if (!user) return { status: 'skipped', reason: 'not_eligible' };

    await repositories.generationState.recordAttempt(userId, new Date(startedAt));
    // Capped at the memories the statistics counted, so one committed in between is not both in the
    // narrative and counted as added since it.
    const candidates = await repositories.memories.newestWithSeq(userId, MAX_CANDIDATE_MEMORIES, { upToSeq: stats.maxSeq });
    const memories = selectPromptMemories(candidates, provider.memoryBudgetChars);
    try {
      const output = await callWithRetries(
        meteredAttempt(this.deps, 'narrative', priority, (attemptSignal) =>
          provider.writeNarrative({
            user: { externalId: user.external_id, displayName: user.display_name },
            memories,
            now: new Date(clock.now()),
            signal: attemptSignal,
          }),
        ),
        this.deps.retry,
        clock,
        { signal },
      );
      const content = output.text.trim();
      if (content === '') throw new LlmError('invalid_output', 'the provider returned an empty narrative');
      const generatedAt = clock.now();
      const narrative = await repositories
        .transaction(async (trx) => {
          await lease.fence(trx);
          const written = await trx.narratives.write(userId, {
            content,
            provider: provider.name,
            model: output.model,
            memoryCount: stats.count,
            newestMemoryAt: stats.newestAt,
            sourceMemoryIds: output.memoryIds,
            generationMs: generatedAt - startedAt,
            generatedAt: new Date(generatedAt),
            sourceMaxSeq: stats.maxSeq,
          });
          // A memory forgotten while the LLM was writing must not make this version look fresh.
          const forgotten = await trx.memories.deletedAmong(userId, output.memoryIds);
          if (forgotten.length > 0) {
            await trx.narratives.invalidateIfBuiltFrom(userId, forgotten, 'memory_deleted', new Date(generatedAt));
          }
          await trx.generationState.recordSuccess(userId, new Date(generatedAt));
          return (await trx.narratives.get(userId)) ?? written;
        })
        .finally(() => this.deps.tier.invalidate(userId));
      metrics.generationSeconds.observe((generatedAt - startedAt) / SECOND_MS);
      logger.info({ userId, version: narrative.version, model: output.model, ms: generatedAt - startedAt }, 'narrative written');
      return { status: 'written', narrative };
    } catch (error) {
      if (error instanceof LeaseLostError || signal.reason instanceof LeaseLostError) {
        logger.warn({ userId }, 'another process took the lease on the narrative over while this one wrote it; nothing was stored');
        return { status: 'skipped', reason: 'lease_lost' };
      }
      if (signal.aborted) return { status: 'skipped', reason: 'shutdown' };
      const { kind, message, reference } = describeFailure(error);
      logger.warn({ userId, kind, reference, err: error }, 'narrative generation failed; the previous narrative is kept');
      await repositories.generationState.recordFailure(userId, { at: new Date(clock.now()), kind, message });
      return { status: 'failed', kind, message };
    }
  }
}
