import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import type { MemoryRow, NarrativeRow } from '../db/database-schema.js';
import { callWithRetries, type RetryPolicy } from '../llm/call-with-retries.js';
import type { CallRateLimiter } from '../llm/call-rate-limiter.js';
import type { LlmProvider } from '../llm/llm-provider.js';
import type { RepositorySet } from '../repositories/repository-set.js';
import { selectContextMemories } from '../search/select-context-memories.js';
import { describeFailure } from './describe-failure.js';
import type { EngineMetrics } from './engine-metrics.js';
import type { HotTier } from './hot-tier.js';
import type { HotUser } from './hot-user.js';
import { meteredAttempt } from './metered-attempt.js';
import type { NarrativeJobRunner } from './narrative-job-runner.js';
import { assessNarrative, type NarrativeAssessment, type NarrativePolicy, type StaleReason } from './narrative-policy.js';
import { selectPromptMemories } from './select-prompt-memories.js';

const ANALYSIS_CANDIDATES = 20;

type AnalysisResult = { text: string } | { reason: string };

export type ContextSource = 'cache' | 'stale_cache' | 'deep_analysis' | 'memories_only';

export interface ContextMemory {
  id: string;
  content: string;
  created_at: string;
}

/** What `orchestrate_smart_context` answers: the text for the model and where it came from. */
export interface SmartContext {
  source: ContextSource;
  text: string;
  narrative: {
    version: number;
    generated_at: string;
    stale: boolean;
    stale_reasons: StaleReason[];
  } | null;
  /** Why the answer has no narrative or analysis, when it has none. */
  reason: string | null;
  memories: ContextMemory[];
  /** Whether a narrative job was requested by this call. */
  generation_scheduled: boolean;
  elapsed_ms: number;
}

export type CachedNarrative =
  | { narrative: NarrativeRow; assessment: Exclude<NarrativeAssessment, { state: 'missing' }> }
  | { narrative: null; eligible: boolean };

export interface ContextServiceDeps {
  repositories: RepositorySet;
  /** Where users' narratives and memories are read from: memory when held, else the database. */
  tier: HotTier;
  /** How many memories relevant to the message go with a narrative or an analysis. */
  attachedMemories: number;
  runner: NarrativeJobRunner;
  provider: LlmProvider;
  limiter: CallRateLimiter;
  clock: Clock;
  policy: NarrativePolicy;
  retry: RetryPolicy;
  analysisBudgetMs: number;
  metrics: EngineMetrics;
  logger: Logger;
}

/**
 * The conversation-start path. A cached narrative is answered at once (stale ones too, with a
 * regeneration scheduled); without one, a deep analysis runs inside its time budget and falls
 * back to the memories themselves. Nothing here waits for a narrative to be written, and a user
 * held in the hot tier is answered without any I/O.
 */
export class ContextService {
  /** Conversations that start at once with the same message and memories share one analysis. */
  readonly #analyses = new SingleFlight<AnalysisResult>();

  constructor(private readonly deps: ContextServiceDeps) {}

  async orchestrate(userId: string, message: string, isNewConversation = true): Promise<SmartContext> {
    const started = this.deps.clock.now();
    const { policy, attachedMemories } = this.deps;
    const user = await this.deps.tier.get(userId);
    if (!isNewConversation) {
      const memories = relevantMemories(user, message, attachedMemories).map(toContextMemory);
      return this.#answer('memories_only', started, {
        text: formatContext({ heading: 'Memories relevant to this message', body: null, note: null, memories, memoriesHeading: 'Memories' }),
        memories,
        reason: 'follow_up_message',
      });
    }

    const cached = this.#judge(userId, user);
    if (cached.narrative) {
      const { narrative, assessment } = cached;
      const stale = assessment.state === 'stale';
      const memories = relevantMemories(user, message, attachedMemories).map(toContextMemory);
      return this.#answer(stale ? 'stale_cache' : 'cache', started, {
        text: this.#narrativeText(narrative, assessment, memories),
        memories,
        narrative: narrativeInfo(narrative, assessment),
        generationScheduled: stale,
      });
    }
    if (!cached.eligible) {
      const memories = user.memories.slice(0, policy.minMemories).map(toContextMemory);
      return this.#answer('memories_only', started, { text: memoriesOnlyText(memories, 'below_minimum'), memories, reason: 'below_minimum' });
    }
    return this.#deepAnalysis(userId, user, message, started);
  }

  /**
   * The cached narrative and how fresh it is, without any LLM call. A stale or missing one is
   * scheduled for rewriting (a missing one only when the user has enough memories).
   */
  async cachedNarrative(userId: string): Promise<CachedNarrative> {
    return this.#judge(userId, await this.deps.tier.get(userId));
  }

  /** The narrative (or the memories when there is none) for a prompt or resource, without any LLM call. */
  async narrativeContext(userId: string): Promise<SmartContext> {
    const started = this.deps.clock.now();
    const user = await this.deps.tier.get(userId);
    const cached = this.#judge(userId, user);
    if (cached.narrative) {
      const stale = cached.assessment.state === 'stale';
      return this.#answer(stale ? 'stale_cache' : 'cache', started, {
        text: this.#narrativeText(cached.narrative, cached.assessment, []),
        memories: [],
        narrative: narrativeInfo(cached.narrative, cached.assessment),
        generationScheduled: stale,
      });
    }
    const reason = cached.eligible ? 'narrative_pending' : 'below_minimum';
    const memories = user.memories.slice(0, ANALYSIS_CANDIDATES).map(toContextMemory);
    return this.#answer('memories_only', started, {
      text: memoriesOnlyText(memories, reason),
      memories,
      reason,
      generationScheduled: cached.eligible,
    });
  }

  #judge(userId: string, user: HotUser): CachedNarrative {
    const { narrative } = user;
    const assessment = assessNarrative(narrative ?? undefined, this.deps.clock.now(), this.deps.policy);
    if (narrative && assessment.state !== 'missing') {
      if (assessment.state === 'stale') this.deps.runner.request(userId, 'miss');
      return { narrative, assessment };
    }
    const eligible = user.memoryCount >= this.deps.policy.minMemories;
    if (eligible) this.deps.runner.request(userId, 'miss');
    return { narrative: null, eligible };
  }

  /** No narrative yet (its generation is scheduled): the LLM's analysis inside the budget, else the memories. */
  async #deepAnalysis(userId: string, user: HotUser, message: string, started: number): Promise<SmartContext> {
    const candidates = analysisCandidates(user, message);
    // A memory's update time is part of the key: an analysis of its old text is never shared after an update.
    const key = [userId, message, ...candidates.map((memory) => `${memory.id}@${memory.updated_at?.getTime() ?? ''}`)].join('\u0000');
    const analysis = await this.#analyses.run(key, () => this.#analyze(userId, message, candidates));
    const attached = candidates.slice(0, this.deps.attachedMemories).map(toContextMemory);
    if ('text' in analysis) {
      return this.#answer('deep_analysis', started, {
        text: formatContext({
          heading: 'What you know about the user (analysis for this message)',
          body: analysis.text,
          note: 'A full narrative of the user is being written in the background.',
          memories: attached,
          memoriesHeading: 'Memories it drew on',
        }),
        memories: attached,
        generationScheduled: true,
      });
    }
    return this.#answer('memories_only', started, {
      text: memoriesOnlyText(attached, analysis.reason),
      memories: attached,
      reason: analysis.reason,
      generationScheduled: true,
    });
  }

  async #analyze(userId: string, message: string, candidates: MemoryRow[]): Promise<AnalysisResult> {
    const { provider, clock, retry, logger } = this.deps;
    const user = await this.deps.repositories.users.findById(userId);
    if (!user) return { reason: 'analysis_failed' };
    const budget = new AbortController();
    const timer = clock.sleep(this.deps.analysisBudgetMs, budget.signal).then(
      () => budget.abort(new Error('analysis budget spent')),
      () => undefined,
    );
    try {
      const memories = selectPromptMemories(candidates, provider.memoryBudgetChars);
      const output = await callWithRetries(
        // A conversation start waits on it: it goes with the request path's priority.
        meteredAttempt(this.deps, 'analysis', 'miss', (signal) =>
          provider.analyze({
            user: { externalId: user.external_id, displayName: user.display_name },
            message,
            memories,
            now: new Date(clock.now()),
            signal,
          }),
        ),
        { ...retry, timeoutMs: Math.min(retry.timeoutMs, this.deps.analysisBudgetMs) },
        clock,
        { signal: budget.signal },
      );
      const text = output.text.trim();
      return text === '' ? { reason: 'analysis_failed' } : { text };
    } catch (error) {
      const timedOut = budget.signal.aborted;
      const { kind, reference } = describeFailure(error);
      logger.warn({ userId, err: error, kind, reference, timedOut }, 'deep analysis unavailable; answering with memories');
      return { reason: timedOut ? 'analysis_timeout' : 'analysis_failed' };
    } finally {
      budget.abort();
      await timer;
    }
  }

  #narrativeText(narrative: NarrativeRow, assessment: NarrativeAssessment, memories: ContextMemory[]): string {
    const stale = assessment.state === 'stale';
    return formatContext({
      heading: `What you know about the user (narrative v${narrative.version}, written ${isoTimestamp(narrative.generated_at).slice(0, 10)})`,
      body: narrative.narrative_content,
      note: stale ? 'This narrative may be out of date; a new version is being written.' : null,
      memories,
      memoriesHeading: 'Memories relevant to this message',
    });
  }

  #answer(
    source: ContextSource,
    started: number,
    parts: {
      text: string;
      memories: ContextMemory[];
      narrative?: SmartContext['narrative'];
      reason?: string;
      generationScheduled?: boolean;
    },
  ): SmartContext {
    this.deps.metrics.contextRequests.inc({ source });
    return {
      source,
      text: parts.text,
      narrative: parts.narrative ?? null,
      reason: parts.reason ?? null,
      memories: parts.memories,
      generation_scheduled: parts.generationScheduled ?? false,
      elapsed_ms: this.deps.clock.now() - started,
    };
  }
}

function relevantMemories(user: HotUser, message: string, limit: number): MemoryRow[] {
  return selectContextMemories(user.index, message, limit);
}

/** The memories most relevant to the message, then the most recent, without repeats. */
function analysisCandidates(user: HotUser, message: string): MemoryRow[] {
  const seen = new Set<string>();
  return [...relevantMemories(user, message, ANALYSIS_CANDIDATES), ...user.memories.slice(0, ANALYSIS_CANDIDATES)].filter(
    (memory) => !seen.has(memory.id) && seen.add(memory.id),
  );
}

function narrativeInfo(narrative: NarrativeRow, assessment: NarrativeAssessment): SmartContext['narrative'] {
  return {
    version: narrative.version,
    generated_at: isoTimestamp(narrative.generated_at),
    stale: assessment.state === 'stale',
    stale_reasons: assessment.state === 'stale' ? assessment.reasons : [],
  };
}

/**
 * Each memory row's answer form, made once: rows held in the hot tier are attached again and
 * again, and making these objects and their dates was a third of a cache hit's time. Answers are
 * never mutated.
 */
const contextMemories = new WeakMap<Pick<MemoryRow, 'id' | 'content' | 'created_at'>, ContextMemory>();

function toContextMemory(memory: Pick<MemoryRow, 'id' | 'content' | 'created_at'>): ContextMemory {
  let answer = contextMemories.get(memory);
  if (!answer) {
    answer = Object.freeze({ id: memory.id, content: memory.content, created_at: memory.created_at.toISOString() });
    contextMemories.set(memory, answer);
  }
  return answer;
}

const MEMORIES_ONLY_NOTES: Record<string, string> = {
  below_minimum: 'The user has only a few memories so far; these are all of them.',
  narrative_pending: 'A narrative of the user is being written; until then, here are their most recent memories.',
  analysis_timeout: 'The analysis took too long; here are the most relevant and most recent memories instead.',
  analysis_failed: 'The analysis is unavailable right now; here are the most relevant and most recent memories instead.',
};

function memoriesOnlyText(memories: ContextMemory[], reason: string): string {
  return formatContext({
    heading: 'What you know about the user',
    body: memories.length === 0 ? 'Nothing is known about the user yet.' : null,
    note: MEMORIES_ONLY_NOTES[reason] ?? null,
    memories,
    memoriesHeading: 'Memories',
  });
}

interface ContextParts {
  heading: string;
  body: string | null;
  note: string | null;
  memories: readonly ContextMemory[];
  memoriesHeading: string;
}

/** The plain-text context a model reads: the narrative or analysis, then the attached memories. */
function formatContext(parts: ContextParts): string {
  const sections = [`# ${parts.heading}`];
  if (parts.note) sections.push(`_${parts.note}_`);
  if (parts.body) sections.push(parts.body);
  if (parts.memories.length > 0) {
    sections.push(
      `## ${parts.memoriesHeading}\n` +
        parts.memories.map((memory) => `- [${memory.created_at.slice(0, 10)}] ${memory.content}`).join('\n'),
    );
  }
  return sections.join('\n\n');
}

/** ISO strings of the dates held in memory, made once per Date (formatting one costs about a microsecond). */
const isoStrings = new WeakMap<Date, string>();

/** `date.toISOString()`, remembered for this Date object; a Date must not be changed after it is formatted. */
function isoTimestamp(date: Date): string {
  let iso = isoStrings.get(date);
  if (iso === undefined) {
    iso = date.toISOString();
    isoStrings.set(date, iso);
  }
  return iso;
}

/** Concurrent calls for the same key share one run of the work; the next call after it settles starts anew. */
class SingleFlight<T> {
  readonly #running = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): Promise<T> {
    const running = this.#running.get(key);
    if (running) return running;
    const started = work().finally(() => this.#running.delete(key));
    this.#running.set(key, started);
    return started;
  }
}
