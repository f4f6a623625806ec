import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import { MINUTE_MS, SECOND_MS } from '../clock/durations.js';
import type { Config } from '../config/config.js';
import { CallRateLimiter } from '../llm/call-rate-limiter.js';
import type { RetryPolicy } from '../llm/call-with-retries.js';
import type { LlmProvider } from '../llm/llm-provider.js';
import type { RepositorySet } from '../repositories/repository-set.js';
import { ContextService } from './context-service.js';
import { EngineMetrics } from './engine-metrics.js';
import { HotTier } from './hot-tier.js';
import { loadHotUser } from './hot-user.js';
import { MemoryService } from './memory-service.js';
import { NarrativeGenerator } from './narrative-generator.js';
import { NarrativeJobRunner } from './narrative-job-runner.js';
import { narrativePolicyFrom, type NarrativePolicy } from './narrative-policy.js';
import { NarrativeStatusService } from './narrative-status-service.js';
import { RegenerationService } from './regeneration-service.js';

const REGENERATE_WAIT_MS = 2 * MINUTE_MS;

export interface NarrativeEngineDeps {
  config: Config;
  repositories: RepositorySet;
  provider: LlmProvider;
  clock: Clock;
  logger: Logger;
}

/** The engine's services, wired once from the configuration. */
export class NarrativeEngine {
  readonly metrics = new EngineMetrics();
  readonly policy: NarrativePolicy;
  readonly provider: LlmProvider;
  readonly runner: NarrativeJobRunner;
  /** Users held in memory for conversation starts; the app keeps it coherent with the database. */
  readonly tier: HotTier;
  readonly memories: MemoryService;
  readonly context: ContextService;
  readonly status: NarrativeStatusService;
  readonly regeneration: RegenerationService;

  constructor(deps: NarrativeEngineDeps) {
    const { config, repositories, clock, logger, provider } = deps;
    const policy = narrativePolicyFrom(config);
    const retry = retryPolicyFrom(config);
    const limiter = new CallRateLimiter(config.LLM_CALLS_PER_MINUTE, clock);
    const metrics = this.metrics;
    this.policy = policy;
    this.provider = provider;
    this.tier = new HotTier({
      load: (userId) => loadHotUser(repositories, userId, config.HOT_TIER_MAX_USER_MEMORIES),
      maxBytes: config.HOT_TIER_MB * 1024 * 1024,
      maxAgeMs: config.HOT_TIER_MAX_AGE_SECONDS * SECOND_MS,
      clock,
      metrics,
    });
    const tier = this.tier;
    const generator = new NarrativeGenerator({
      repositories,
      tier,
      leaseMs: config.NARRATIVE_LEASE_SECONDS * SECOND_MS,
      provider,
      limiter,
      clock,
      policy,
      retry,
      metrics,
      logger,
    });
    this.runner = new NarrativeJobRunner(generator, { concurrency: config.LLM_CONCURRENCY, metrics, logger });
    this.memories = new MemoryService({ repositories, tier, runner: this.runner, clock, maxMemoryChars: config.MAX_MEMORY_CHARS });
    this.context = new ContextService({
      repositories,
      tier,
      attachedMemories: config.CONTEXT_MEMORIES,
      runner: this.runner,
      provider,
      limiter,
      clock,
      policy,
      retry,
      analysisBudgetMs: config.DEEP_ANALYSIS_BUDGET_MS,
      metrics,
      logger,
    });
    this.status = new NarrativeStatusService({ repositories, runner: this.runner, clock, policy });
    this.regeneration = new RegenerationService({
      repositories,
      runner: this.runner,
      clock,
      policy,
      perHour: config.REGENERATE_PER_HOUR,
      defaultWaitMs: REGENERATE_WAIT_MS,
    });
  }
}

/** How hard each LLM call is tried: the configured retries and timeout, backoff from 1 s up to 30 s. */
function retryPolicyFrom(config: Config): RetryPolicy {
  return { maxRetries: config.LLM_MAX_RETRIES, timeoutMs: config.LLM_TIMEOUT_MS, baseDelayMs: SECOND_MS, maxDelayMs: 30 * SECOND_MS };
}
