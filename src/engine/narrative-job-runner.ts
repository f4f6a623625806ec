import { EventEmitter, setMaxListeners } from 'node:events';
import PQueue from 'p-queue';
import type { Logger } from 'pino';
import { describeFailure } from './describe-failure.js';
import type { EngineMetrics } from './engine-metrics.js';
import { higherPriority, JOB_PRIORITIES, type JobPriority } from './job-priority.js';
import type { GenerationOutcome, NarrativeGenerator } from './narrative-generator.js';

export type JobState = 'idle' | 'queued' | 'running';

export interface NarrativeJob {
  readonly userId: string;
  state: Exclude<JobState, 'idle'>;
  priority: JobPriority;
  force: boolean;
  readonly done: Promise<GenerationOutcome>;
}

interface RunnerJob extends NarrativeJob {
  resolve: (outcome: GenerationOutcome) => void;
  /** A request that arrived while this job ran: it runs next, and re-checks what is needed. */
  followUp?: RunnerJob;
}

export interface JobRunnerEvents {
  started: [userId: string];
  finished: [userId: string, outcome: GenerationOutcome];
}

/**
 * Runs narrative jobs in the background: one per user at a time (requests for a user already
 * waiting join its job), a global concurrency limit, and priorities manual > miss > scheduled >
 * backfill. A request made while the user's job is running gets a follow-up job, so a memory
 * deleted mid-generation is never left in the narrative.
 */
export class NarrativeJobRunner extends EventEmitter<JobRunnerEvents> {
  readonly #queue: PQueue;
  readonly #jobs = new Map<string, RunnerJob>();
  readonly #shutdown = new AbortController();
  #accepting = true;

  constructor(
    private readonly generator: NarrativeGenerator,
    private readonly deps: { concurrency: number; metrics: EngineMetrics; logger: Logger },
  ) {
    super();
    // Every open MCP session listens for finished jobs (to notify resource subscribers): many sessions are no leak.
    this.setMaxListeners(0);
    // Each running job listens for the shutdown: up to `concurrency` listeners (64) are no leak either.
    setMaxListeners(0, this.#shutdown.signal);
    this.#queue = new PQueue({ concurrency: deps.concurrency });
  }

  /** Asks for a narrative job for the user; returns the job that will answer it. */
  request(userId: string, priority: JobPriority, options: { force?: boolean } = {}): NarrativeJob {
    const force = options.force ?? false;
    if (!this.#accepting) return settledJob(userId, priority, force, { status: 'skipped', reason: 'shutdown' });
    const existing = this.#jobs.get(userId);
    if (!existing) {
      const job = createJob(userId, priority, force);
      this.#jobs.set(userId, job);
      this.#enqueue(job);
      return job;
    }
    if (existing.state === 'queued') {
      this.#upgrade(existing, priority, force);
      return existing;
    }
    if (existing.followUp) {
      existing.followUp.priority = higherPriority(existing.followUp.priority, priority);
      existing.followUp.force ||= force;
      return existing.followUp;
    }
    existing.followUp = createJob(userId, priority, force);
    return existing.followUp;
  }

  state(userId: string): JobState {
    return this.#jobs.get(userId)?.state ?? 'idle';
  }

  get size(): { queued: number; running: number } {
    return { queued: this.#queue.size, running: this.#queue.pending };
  }

  /** Resolves when nothing is queued or running. */
  onIdle(): Promise<void> {
    return this.#queue.onIdle();
  }

  /**
   * Stops taking work and drops queued jobs; running jobs get until `deadline` resolves to
   * finish, then are aborted (their narrative is left as it was).
   */
  async close(deadline: Promise<void>): Promise<void> {
    this.#accepting = false;
    this.#queue.clear();
    for (const job of [...this.#jobs.values()]) {
      if (job.state === 'queued') {
        // Dropped, not waiting: `state()` must say so while running jobs finish.
        this.#jobs.delete(job.userId);
        this.#settle(job, { status: 'skipped', reason: 'shutdown' });
      }
      if (job.followUp) this.#settle(job.followUp, { status: 'skipped', reason: 'shutdown' });
      job.followUp = undefined;
    }
    this.#updateGauges();
    const idle = this.#queue.onIdle();
    await Promise.race([idle, deadline]);
    this.#shutdown.abort(new Error('server shutting down'));
    await idle;
  }

  #enqueue(job: RunnerJob): void {
    this.#updateGauges();
    void this.#queue
      .add(() => this.#run(job), { priority: JOB_PRIORITIES[job.priority], id: job.userId })
      .catch((error: unknown) => this.deps.logger.error({ err: error, userId: job.userId }, 'narrative job crashed'));
  }

  #upgrade(job: RunnerJob, priority: JobPriority, force: boolean): void {
    const upgraded = higherPriority(job.priority, priority);
    if (upgraded !== job.priority) {
      job.priority = upgraded;
      this.#queue.setPriority(job.userId, JOB_PRIORITIES[upgraded]);
    }
    job.force ||= force;
  }

  async #run(job: RunnerJob): Promise<void> {
    job.state = 'running';
    this.#updateGauges();
    this.emit('started', job.userId);
    let outcome: GenerationOutcome;
    try {
      outcome = await this.generator.generate(job.userId, { force: job.force, signal: this.#shutdown.signal, priority: job.priority });
    } catch (error) {
      const { kind, message, reference } = describeFailure(error);
      this.deps.logger.error({ err: error, userId: job.userId, kind, reference }, 'narrative job failed unexpectedly');
      outcome = { status: 'failed', kind, message };
    }
    const label = outcome.status === 'skipped' ? `skipped_${outcome.reason}` : outcome.status;
    this.deps.metrics.generations.inc({ outcome: label, priority: job.priority });
    this.#settle(job, outcome);
    const next = job.followUp;
    if (next && this.#accepting) {
      this.#jobs.set(job.userId, next);
      this.#enqueue(next);
    } else {
      this.#jobs.delete(job.userId);
    }
    this.#updateGauges();
    this.emit('finished', job.userId, outcome);
  }

  #settle(job: RunnerJob, outcome: GenerationOutcome): void {
    job.resolve(outcome);
  }

  #updateGauges(): void {
    this.deps.metrics.queueDepth.set({ state: 'queued' }, this.#queue.size);
    this.deps.metrics.queueDepth.set({ state: 'running' }, this.#queue.pending);
  }
}

function createJob(userId: string, priority: JobPriority, force: boolean): RunnerJob {
  let resolve!: (outcome: GenerationOutcome) => void;
  const done = new Promise<GenerationOutcome>((settle) => (resolve = settle));
  return { userId, state: 'queued', priority, force, done, resolve };
}

function settledJob(userId: string, priority: JobPriority, force: boolean, outcome: GenerationOutcome): NarrativeJob {
  const job = createJob(userId, priority, force);
  job.resolve(outcome);
  return job;
}
