import type { App } from '../app/app.js';
import type { GenerationOutcome } from '../engine/narrative-generator.js';
import { assessNarrative } from '../engine/narrative-policy.js';
import { UserFacingError } from '../errors/user-facing-error.js';
import type { UserMemoryCount } from '../repositories/user-repository.js';
import { backfillTargets } from './backfill-targets.js';
import type { UserFailure } from './user-failure.js';
import { whyGenerate } from './why-generate.js';

const MAX_LISTED = 1_000;

export interface BackfillOptions {
  /** Users with fewer live memories are left out (default, and lowest allowed: `NARRATIVE_MIN_MEMORIES`). */
  minMemories?: number;
  /** How many users are in the job runner at once. */
  concurrency: number;
  /** How many users are read from the database per page. */
  batchSize: number;
  /** Stop after this many users were sent for generation (users skipped as fresh do not count). */
  limit?: number;
  /** Only these users (external ids), in this order. */
  users?: readonly string[];
  /** Start after this external id (the `resumeAfter` of an interrupted run); not with `users`. */
  after?: string;
  /** Rewrite fresh narratives too. */
  force?: boolean;
  /** Report what would be done; write nothing and call no LLM. */
  dryRun?: boolean;
  /** Aborting stops taking users; those in flight finish (close the job runner to abandon them). */
  signal?: AbortSignal;
  onEvent?: (event: BackfillEvent) => void;
}

export type BackfillResult = 'generated' | 'skipped' | 'failed' | 'abandoned' | 'planned';

export interface BackfillUserEvent {
  type: 'user';
  user: string;
  memories: number;
  result: BackfillResult;
  /** Why it was (or would be) generated (`no_narrative`, `expired`, `forced`…), or why it was skipped or failed. */
  reason: string;
  version?: number;
  message?: string;
  /** Users finished of those expected; with a limit, users skipped as fresh do not count. */
  done: number;
  total: number;
}

export type BackfillEvent =
  | { type: 'started'; eligible: number; total: number; concurrency: number; force: boolean; dryRun: boolean }
  | BackfillUserEvent
  | { type: 'interrupted'; inFlight: number; lastStarted: string | null };

export interface BackfillSummary {
  eligible: number;
  generated: number;
  skipped: number;
  failed: number;
  durationMs: number;
  /**
   * Skipped users by reason: `fresh`, `locked` (another process was writing it), `lease_lost`
   * (another process took it over from this one, which stored nothing), `not_eligible`.
   */
  skippedReasons: Record<string, number>;
  /** The first 1,000 failures (`failed` counts them all). */
  failures: UserFailure[];
  dryRun: boolean;
  /** With `dryRun`: how many users would be generated. */
  planned: number;
  interrupted: boolean;
  /** Users in flight when the job runner was closed: nothing of theirs was written. */
  abandoned: string[];
  /** When interrupted: the last user started; every user before it has finished or is listed as abandoned. */
  stoppedAfter: string | null;
  /**
   * When interrupted while walking all users: every user up to this external id is finished, so
   * `after` set to it continues the walk (what a forced run needs, since its finished users are not skipped).
   */
  resumeAfter: string | null;
  /** Eligible users the run did not get to (interrupted, or the limit reached). */
  notReached: number;
  /** The tokens the provider reported for the narratives written (none for the offline provider). */
  tokens: { input: number; output: number };
}

/**
 * Pre-computes narratives for existing users: walks the targets a page at a time, skips users
 * whose narrative is fresh (unless forced), and sends the others to the app's job runner at
 * `backfill` priority, at most `concurrency` at a time. Idempotent and resumable: a finished user
 * is fresh, so a re-run skips it. A user's failure is recorded and listed; the run goes on.
 */
export async function backfill(app: App, options: BackfillOptions): Promise<BackfillSummary> {
  const startedAt = performance.now();
  const { policy, runner } = app.engine;
  const minMemories = options.minMemories ?? policy.minMemories;
  validate(options, minMemories, policy.minMemories);
  const force = options.force ?? false;
  const dryRun = options.dryRun ?? false;
  const targets = await backfillTargets(app, {
    minMemories,
    batchSize: options.batchSize,
    ...(options.users ? { users: options.users } : {}),
    ...(options.after === undefined ? {} : { after: options.after }),
  });
  const total = options.limit === undefined ? (options.users?.length ?? targets.eligible) : Math.min(options.limit, targets.eligible);
  const summary: BackfillSummary = {
    eligible: targets.eligible,
    generated: 0,
    skipped: 0,
    failed: 0,
    durationMs: 0,
    skippedReasons: {},
    failures: [],
    dryRun,
    planned: 0,
    interrupted: false,
    abandoned: [],
    stoppedAfter: null,
    resumeAfter: null,
    notReached: 0,
    tokens: { input: 0, output: 0 },
  };
  options.onEvent?.({ type: 'started', eligible: targets.eligible, total, concurrency: options.concurrency, force, dryRun });

  let done = 0;
  let sent = 0;
  let reached = 0;
  let lastStarted: string | null = null;
  /** The user examined last, in walk order; and for each user in flight, the one examined before it. */
  let lastExamined: string | null = options.after ?? null;
  const examinedBefore = new Map<string, { order: number; previous: string | null }>();
  const inFlight = new Map<string, Promise<void>>();

  const report = (target: UserMemoryCount, result: BackfillResult, reason: string, extra: { version?: number; message?: string; counts: boolean }) => {
    if (extra.counts || options.limit === undefined) done += 1;
    options.onEvent?.({
      type: 'user',
      user: target.external_id,
      memories: target.memory_count,
      result,
      reason,
      ...(extra.version === undefined ? {} : { version: extra.version }),
      ...(extra.message === undefined ? {} : { message: extra.message }),
      done,
      total,
    });
  };
  const skip = (target: UserMemoryCount, reason: string, counts: boolean) => {
    summary.skipped += 1;
    summary.skippedReasons[reason] = (summary.skippedReasons[reason] ?? 0) + 1;
    report(target, 'skipped', reason, { counts });
  };
  const settle = (target: UserMemoryCount, why: string, outcome: GenerationOutcome) => {
    if (outcome.status === 'written') {
      summary.generated += 1;
      summary.tokens.input += outcome.narrative.input_tokens ?? 0;
      summary.tokens.output += outcome.narrative.output_tokens ?? 0;
      report(target, 'generated', why, { version: outcome.narrative.version, counts: true });
    } else if (outcome.status === 'failed') {
      summary.failed += 1;
      if (summary.failures.length < MAX_LISTED) summary.failures.push({ user: target.external_id, kind: outcome.kind, message: outcome.message });
      report(target, 'failed', outcome.kind, { message: outcome.message, counts: true });
    } else if (outcome.reason === 'shutdown') {
      if (summary.abandoned.length < MAX_LISTED) summary.abandoned.push(target.external_id);
      report(target, 'abandoned', 'shutdown', { counts: true });
    } else {
      skip(target, outcome.reason, true);
    }
  };

  walk: for await (const page of targets.pages) {
    const narratives = new Map((await app.repositories.narratives.getMany(page.map((user) => user.id))).map((row) => [row.user_id, row]));
    for (const target of page) {
      if (options.signal?.aborted || (options.limit !== undefined && sent >= options.limit)) break walk;
      if (target.memory_count < minMemories) {
        // Only a user named with --user gets here: the walk over all users leaves them out.
        skip(target, 'not_eligible', true);
        lastExamined = target.external_id;
        continue;
      }
      const assessment = assessNarrative(narratives.get(target.id), app.clock.now(), policy);
      if (assessment.state === 'fresh' && !force) {
        reached += 1;
        skip(target, 'fresh', false);
        lastExamined = target.external_id;
        continue;
      }
      const why = whyGenerate(assessment, force);
      if (dryRun) {
        reached += 1;
        sent += 1;
        summary.planned += 1;
        report(target, 'planned', why, { counts: true });
        continue;
      }
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight.values());
      if (options.signal?.aborted) break walk;
      reached += 1;
      sent += 1;
      lastStarted = target.external_id;
      examinedBefore.set(target.external_id, { order: sent, previous: lastExamined });
      lastExamined = target.external_id;
      const job = runner.request(target.id, 'backfill', { force });
      inFlight.set(
        target.id,
        job.done.then((outcome) => {
          inFlight.delete(target.id);
          if (outcome.status !== 'skipped' || outcome.reason !== 'shutdown') examinedBefore.delete(target.external_id);
          settle(target, why, outcome);
        }),
      );
    }
  }

  if (options.signal?.aborted) {
    summary.interrupted = true;
    summary.stoppedAfter = lastStarted;
    options.onEvent?.({ type: 'interrupted', inFlight: inFlight.size, lastStarted });
  }
  await Promise.all(inFlight.values());
  summary.notReached = Math.max(0, targets.eligible - reached);
  if (summary.interrupted && options.users === undefined) {
    // Users are sent in walk order, so everything examined before the first one abandoned has finished.
    const abandoned = [...examinedBefore.values()].sort((a, b) => a.order - b.order);
    summary.resumeAfter = abandoned.length === 0 ? lastExamined : abandoned[0]!.previous;
  }
  summary.durationMs = Math.round(performance.now() - startedAt);
  return summary;
}

function validate(options: BackfillOptions, minMemories: number, policyMinimum: number): void {
  const whole = (name: string, value: number | undefined) => {
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new UserFacingError(`${name} must be a whole number of at least 1; got ${value}`);
    }
  };
  whole('concurrency', options.concurrency);
  whole('batch size', options.batchSize);
  whole('limit', options.limit);
  whole('min memories', minMemories);
  if (options.after !== undefined && options.users !== undefined) throw new UserFacingError('after cannot be combined with named users');
  if (minMemories < policyMinimum) {
    throw new UserFacingError(
      `min memories ${minMemories} is below NARRATIVE_MIN_MEMORIES (${policyMinimum}): users with fewer memories never get a narrative; lower NARRATIVE_MIN_MEMORIES to include them`,
    );
  }
}
