import type { Clock } from '../clock/clock.js';
import { HOUR_MS, SECOND_MS } from '../clock/durations.js';
import type { RepositorySet } from '../repositories/repository-set.js';
import type { GenerationOutcome } from './narrative-generator.js';
import type { JobState, NarrativeJobRunner } from './narrative-job-runner.js';
import type { NarrativePolicy } from './narrative-policy.js';

export type RegenerationAnswer =
  | { state: 'queued' | 'running'; version: number | null }
  | { state: 'completed'; version: number }
  | { state: 'failed'; kind: string; message: string }
  | { state: 'rate_limited'; retry_at: string; retry_after_seconds: number }
  | { state: 'not_eligible'; memory_count: number; min_memories: number };

export interface RegenerateOptions {
  /** Wait for the new version (up to `waitMs`) instead of answering once it is scheduled. */
  wait?: boolean;
  waitMs?: number;
  /** Told when the job starts running, for progress notifications. */
  onRunning?: () => void;
}

/** Manual regeneration: immediate, top priority, limited per user per hour. */
export class RegenerationService {
  constructor(
    private readonly deps: {
      repositories: RepositorySet;
      runner: NarrativeJobRunner;
      clock: Clock;
      policy: NarrativePolicy;
      perHour: number;
      defaultWaitMs: number;
    },
  ) {}

  async regenerate(userId: string, options: RegenerateOptions = {}): Promise<RegenerationAnswer> {
    const { repositories, runner, clock, policy } = this.deps;
    const count = await repositories.memories.count(userId);
    if (count < policy.minMemories) return { state: 'not_eligible', memory_count: count, min_memories: policy.minMemories };
    const now = clock.now();
    const taken = await repositories.generationState.takeManualRequest(userId, new Date(now), HOUR_MS, this.deps.perHour);
    if (!taken.allowed) {
      return {
        state: 'rate_limited',
        retry_at: taken.retryAt.toISOString(),
        retry_after_seconds: Math.max(1, Math.ceil((taken.retryAt.getTime() - now) / SECOND_MS)),
      };
    }
    const job = runner.request(userId, 'manual', { force: true });
    if (options.onRunning) {
      const onStarted = (started: string) => {
        if (started !== userId) return;
        runner.off('started', onStarted);
        options.onRunning?.();
      };
      if (job.state === 'running') options.onRunning();
      else runner.on('started', onStarted);
      void job.done.finally(() => runner.off('started', onStarted));
    }
    if (!options.wait) return this.#pending(userId, job.state);
    const waited = new AbortController();
    const outcome = await Promise.race([
      job.done,
      clock.sleep(options.waitMs ?? this.deps.defaultWaitMs, waited.signal).then(() => null, () => null),
    ]);
    waited.abort();
    return outcome ? this.#answerFor(userId, outcome) : this.#pending(userId, runner.state(userId));
  }

  async #pending(userId: string, state: JobState): Promise<RegenerationAnswer> {
    const narrative = await this.deps.repositories.narratives.get(userId);
    return { state: state === 'running' ? 'running' : 'queued', version: narrative?.version ?? null };
  }

  async #answerFor(userId: string, outcome: GenerationOutcome): Promise<RegenerationAnswer> {
    if (outcome.status === 'written') return { state: 'completed', version: outcome.narrative.version };
    if (outcome.status === 'failed') return { state: 'failed', kind: outcome.kind, message: outcome.message };
    switch (outcome.reason) {
      case 'not_eligible':
        return { state: 'not_eligible', memory_count: await this.deps.repositories.memories.count(userId), min_memories: this.deps.policy.minMemories };
      case 'locked':
      case 'lease_lost':
        // Another process holds the lease on the user's narrative (or took it over from this one): it is writing it.
        return this.#pending(userId, 'running');
      case 'shutdown':
        return { state: 'failed', kind: 'shutdown', message: 'the server is shutting down; ask again once it is back' };
      case 'fresh': {
        // A forced job never is; should one be, the fresh narrative it found is the answer.
        const narrative = await this.deps.repositories.narratives.get(userId);
        return narrative ? { state: 'completed', version: narrative.version } : { state: 'queued', version: null };
      }
    }
  }
}
