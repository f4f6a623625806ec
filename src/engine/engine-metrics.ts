import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The engine's counters, in a registry of its own that `/metrics` can expose. */
export class EngineMetrics {
  readonly registry = new Registry();

  readonly contextRequests = new Counter({
    name: 'narrative_context_requests_total',
    help: 'orchestrate_smart_context answers by the path taken (cache, stale_cache, deep_analysis, memories_only).',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });

  readonly generations = new Counter({
    name: 'narrative_generations_total',
    help: 'Background narrative jobs by outcome (written, failed, skipped).',
    labelNames: ['outcome', 'priority'] as const,
    registers: [this.registry],
  });

  readonly generationSeconds = new Histogram({
    name: 'narrative_generation_duration_seconds',
    help: 'Time from the start of a narrative job to its written narrative.',
    buckets: [0.01, 0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
    registers: [this.registry],
  });

  readonly llmCalls = new Counter({
    name: 'narrative_llm_calls_total',
    help: 'LLM calls (every attempt, retries included) by purpose and outcome.',
    labelNames: ['provider', 'purpose', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly llmTokens = new Counter({
    name: 'narrative_llm_tokens_total',
    help: 'Tokens the LLM counted, for every call that reported them, by task (narrative, revision, analysis) and direction (input, output).',
    labelNames: ['provider', 'task', 'direction'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'narrative_queue_depth',
    help: 'Narrative jobs waiting or running in this process.',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });

  readonly hotTierRequests = new Counter({
    name: 'narrative_hot_tier_requests_total',
    help: "Reads of a user's narrative and memories: answered from memory (hit) or from the database (miss).",
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly hotTierBytes = new Gauge({
    name: 'narrative_hot_tier_bytes',
    help: 'Approximate size of the users held in memory.',
    registers: [this.registry],
  });

  readonly hotTierUsers = new Gauge({
    name: 'narrative_hot_tier_users',
    help: 'Users held in memory, with those that changed in the last few seconds (kept for their next read to start from).',
    registers: [this.registry],
  });

  /** The current value of a counter, for status pages and tests. */
  async count(counter: Counter<string>, labels: Record<string, string> = {}): Promise<number> {
    const { values } = await counter.get();
    return values
      .filter((value) => Object.entries(labels).every(([name, wanted]) => value.labels[name] === wanted))
      .reduce((sum, value) => sum + value.value, 0);
  }
}
