import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import { SECOND_MS } from '../clock/durations.js';
import type { MemoryRow, NarrativeRow } from '../db/database-schema.js';
import { callWithRetries, type RetryPolicy } from '../llm/call-with-retries.js';
import type { CallRateLimiter } from '../llm/call-rate-limiter.js';
import { LlmError } from '../llm/llm-error.js';
import type { LlmOutput, LlmProvider, PromptMemory, PromptUser } from '../llm/llm-provider.js';
import type { SequencedMemory } from '../repositories/memory-repository.js';
import type { RepositorySet } from '../repositories/repository-set.js';
import type { LeasedSnapshot } from '../repositories/user-repository.js';
import { planBuild, type BuildPlan } from './build-plan.js';
import { describeFailure } from './describe-failure.js';
import type { EngineMetrics } from './engine-metrics.js';
import { LeaseLostError, withGenerationLease, type HeldLease } from './generation-lease.js';
import type { HotTier } from './hot-tier.js';
import type { JobPriority } from './job-priority.js';
import { meteredAttempt, type LlmTask } from './metered-attempt.js';
import { assessNarrative, type NarrativePolicy } from './narrative-policy.js';
import { relatedMemories } from './related-memories.js';
import { selectPromptMemories } from './select-prompt-memories.js';

/** How many of a user's newest memories are considered for one narrative (or one revision, added and older together). */
const MAX_CANDIDATE_MEMORIES = 5_000;
/** A revision carries at most this many older memories related to the added ones, and two per added memory. */
const MAX_RELATED_MEMORIES = 20;
const RELATED_PER_ADDED_MEMORY = 2;

/** What one generation sends: the task, the call, and the memories the stored narrative will stand on. */
interface Generation {
  task: Extract<LlmTask, 'narrative' | 'revision'>;
  call: (signal: AbortSignal) => Promise<LlmOutput>;
  /** Memories the previous version was built from, which a revision still stands on. */
  carriedMemoryIds: readonly string[];
  /** When each memory whose text the call carries was last updated, as read (null: never). */
  readUpdatedAt: ReadonlyMap<string, Date | null>;
  /** When each memory whose text the call carries expires, as read (null: never). */
  readExpiresAt: ReadonlyMap<string, Date | null>;
  /** The earliest expiry among the carried memories (the revised version's own). */
  carriedExpiresAt: Date | null;
}

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
    const leased = await withGenerationLease(
      { repositories, clock, leaseMs, logger },
      userId,
      options.signal,
      (token, term) => repositories.users.leaseForGeneration(userId, { token, ...term }, MAX_CANDIDATE_MEMORIES),
      (lease, read) => this.#generateLocked(userId, { ...options, signal: lease.signal }, lease, read),
    );
    if (leased.held) return leased.value;
    return (await repositories.users.findById(userId)) ? { status: 'skipped', reason: 'locked' } : { status: 'skipped', reason: 'not_eligible' };
  }

  async #generateLocked(userId: string, { force, signal, priority }: GenerateOptions, lease: HeldLease, read: LeasedSnapshot): Promise<GenerationOutcome> {
    const { repositories, clock, policy, provider, metrics, logger } = this.deps;
    const startedAt = clock.now();
    // The read shares the lease's snapshot, taken before the lease waited for a holder that was
    // committing its narrative: then the narrative read is older than that success, and is read again.
    const readBehind = read.lastSuccessAt !== null && (read.narrative === undefined || read.narrative.generated_at < read.lastSuccessAt);
    const snapshot = readBehind ? await repositories.users.findForGeneration(userId, MAX_CANDIDATE_MEMORIES) : read;
    const current = snapshot?.narrative;
    if (!force && assessNarrative(current, startedAt, policy).state === 'fresh') return { status: 'skipped', reason: 'fresh' };
    if (!snapshot || snapshot.stats.count < policy.minMemories) return { status: 'skipped', reason: 'not_eligible' };
    const { user, stats } = snapshot;
    const plan = planBuild(current, {
      now: startedAt,
      // `regenerate_narrative` forces a manual job; a deletion or update asks for one at the same priority unforced.
      manual: priority === 'manual' && force,
      provider: { name: provider.name, canRevise: provider.reviseNarrative !== undefined },
      fullRebuildMs: policy.fullRebuildMs,
    });
    const promptUser = { externalId: user.external_id, displayName: user.display_name };
    const generation =
      (plan.kind === 'incremental' ? this.#revision(plan.current, snapshot.memories, promptUser) : undefined) ?? this.#fullBuild(snapshot.memories, promptUser);
    try {
      const output = await callWithRetries(
        meteredAttempt(this.deps, generation.task, priority, generation.call),
        this.deps.retry,
        clock,
        { signal },
      );
      const content = output.text.trim();
      if (content === '') throw new LlmError('invalid_output', 'the provider returned an empty narrative');
      const generatedAt = clock.now();
      const sourceMemoryIds = [...new Set([...generation.carriedMemoryIds, ...output.memoryIds])];
      const narrative = await lease
        .store(new Date(generatedAt), async (trx) => {
          const { narrative: written, changed } = await trx.narratives.writeFenced(
            userId,
            {
              content,
              provider: provider.name,
              model: output.model,
              memoryCount: stats.count,
              newestMemoryAt: stats.newestAt,
              sourceMemoryIds,
              generationMs: generatedAt - startedAt,
              generatedAt: new Date(generatedAt),
              sourceMaxSeq: stats.maxSeq,
              buildKind: generation.task === 'revision' ? 'incremental' : 'full',
              tokens: output.usage ? { input: output.usage.inputTokens, output: output.usage.outputTokens } : null,
              sourceExpiresAt: earliestExpiry(generation, sourceMemoryIds),
            },
            generation.readUpdatedAt,
          );
          // A memory forgotten or updated while the LLM was writing must not make this version look
          // fresh. A revision also keeps the mark a change to one of the memories it carries put on
          // the version it revised (see `NarrativeRepository.write`).
          const { deleted: forgotten, updated } = changed;
          if (forgotten.length > 0) {
            await trx.narratives.invalidateIfBuiltFrom(userId, forgotten, 'memory_deleted', new Date(generatedAt));
          }
          if (updated.length > 0) {
            await trx.narratives.invalidateIfBuiltFrom(userId, updated, 'memory_updated', new Date(generatedAt));
          }
          if (forgotten.length === 0 && updated.length === 0) return written;
          return (await trx.narratives.get(userId)) ?? written;
        })
        .finally(() => this.deps.tier.invalidate(userId));
      metrics.generationSeconds.observe((generatedAt - startedAt) / SECOND_MS);
      logger.info(
        { userId, version: narrative.version, model: output.model, ms: generatedAt - startedAt, kind: narrative.build_kind, ...whyFull(plan), usage: output.usage },
        'narrative written',
      );
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

  /** A build from the user's memories (newest first, as the snapshot read them), chosen within the provider's budget. */
  #fullBuild(candidates: readonly SequencedMemory[], user: PromptUser): Generation {
    const { provider, clock } = this.deps;
    const memories = selectPromptMemories(candidates, provider.memoryBudgetChars);
    return {
      task: 'narrative',
      call: (signal) => provider.writeNarrative({ user, memories, now: new Date(clock.now()), signal }),
      carriedMemoryIds: [],
      readUpdatedAt: new Map(candidates.map((memory) => [memory.id, memory.updated_at])),
      readExpiresAt: new Map(candidates.map((memory) => [memory.id, memory.expires_at])),
      carriedExpiresAt: null,
    };
  }

  /**
   * A revision of `current` with the memories added since it (numbered above its `source_max_seq`)
   * and the older ones most related to them, of the snapshot's `memories`; none when nothing was
   * added or the added memories do not fit the provider's budget beside the narrative, which then
   * builds in full.
   */
  #revision(current: NarrativeRow, memories: readonly SequencedMemory[], user: PromptUser): Generation | undefined {
    const { provider, clock } = this.deps;
    const reviseNarrative = provider.reviseNarrative?.bind(provider);
    if (!reviseNarrative) return undefined;
    const revisedUpTo = BigInt(current.source_max_seq);
    const added = memories.filter((memory) => BigInt(memory.seq) > revisedUpTo);
    const addedChars = added.reduce((sum, memory) => sum + memory.content.length, 0);
    const spareChars = provider.memoryBudgetChars - current.narrative_content.length - addedChars;
    if (added.length === 0 || spareChars < 0) return undefined;
    const older = memories.filter((memory) => BigInt(memory.seq) <= revisedUpTo);
    const related = relatedMemories(older, added, {
      max: Math.min(MAX_RELATED_MEMORIES, added.length * RELATED_PER_ADDED_MEMORY),
      perAddedMemory: RELATED_PER_ADDED_MEMORY,
      budgetChars: spareChars,
    });
    return {
      task: 'revision',
      call: (signal) =>
        reviseNarrative({
          user,
          narrative: current.narrative_content,
          addedMemories: oldestFirst(added),
          relatedMemories: oldestFirst(related),
          now: new Date(clock.now()),
          signal,
        }),
      carriedMemoryIds: current.source_memory_ids,
      readUpdatedAt: new Map([...added, ...related].map((memory) => [memory.id, memory.updated_at])),
      readExpiresAt: new Map([...added, ...related].map((memory) => [memory.id, memory.expires_at])),
      carriedExpiresAt: current.source_expires_at,
    };
  }
}

/**
 * The earliest expiry among the memories a version stands on, as the generation read them: kept on
 * the version, it outdates it the moment that memory expires, with no write and no sweep needed.
 */
function earliestExpiry(generation: Generation, sourceMemoryIds: readonly string[]): Date | null {
  let earliest = generation.carriedExpiresAt;
  for (const id of sourceMemoryIds) {
    const expiresAt = generation.readExpiresAt.get(id);
    if (expiresAt && (earliest === null || expiresAt < earliest)) earliest = expiresAt;
  }
  return earliest;
}

function oldestFirst(rows: readonly Pick<MemoryRow, 'id' | 'content' | 'created_at'>[]): PromptMemory[] {
  return rows
    .map((row) => ({ id: row.id, content: row.content, createdAt: row.created_at }))
    .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
}

function whyFull(plan: BuildPlan): { fullBecause?: string } {
  return plan.kind === 'full' ? { fullBecause: plan.reason } : {};
}
