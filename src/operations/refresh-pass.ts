import type { App } from '../app/app.js';
import { DAY_MS, HOUR_MS } from '../clock/durations.js';
import type { GenerationOutcome } from '../engine/narrative-generator.js';
import { assessNarrative } from '../engine/narrative-policy.js';
import { UserFacingError } from '../errors/user-facing-error.js';
import { sweepExpiredMemories, type ExpirySweepSummary } from './expiry-sweep.js';
import type { UserFailure } from './user-failure.js';
import { whyGenerate } from './why-generate.js';

const MAX_LISTED_FAILURES = 1_000;

export interface RefreshPassOptions {
  /** Narratives expiring within this many hours are refreshed, each at its own moment within them. */
  horizonHours: number;
  /** Only users with a memory dated within this many days, or a regeneration asked for since, count as active. */
  activeDays: number;
  /** At most this many users per pass, the longest overdue first; the rest wait for the next pass. */
  limit: number;
  /** Expired memories are removed this many days after they expire (default: `EXPIRED_MEMORY_RETENTION_DAYS`). */
  expiredRetentionDays?: number;
  /** Aborting stops the pass at once: no more users are asked for, and those asked for are left to the job runner. */
  signal?: AbortSignal;
  onUser?: (event: RefreshUserEvent) => void;
}

export interface RefreshUserEvent {
  user: string;
  result: 'refreshed' | 'skipped' | 'failed' | 'abandoned';
  /** Why it was due (`expiring`, `expired`, `new_memories`…), or why it was skipped or failed. */
  reason: string;
  version?: number;
}

export interface RefreshSummary {
  /** Users whose narratives were due in this pass (at most the limit). */
  due: number;
  refreshed: number;
  skipped: number;
  failed: number;
  /** Users asked for but not finished when the pass was stopped. */
  abandoned: number;
  durationMs: number;
  failures: UserFailure[];
  interrupted: boolean;
  /** What the expiry sweep that starts the pass did. */
  expiry: ExpirySweepSummary;
}

/**
 * One pass of proactive refresh: first sweeps expired memories (marks the narratives that used
 * them, removes those past their retention), then asks the job runner, at `scheduled` priority, to rewrite the
 * narratives of active users that are stale or whose refresh moment within the horizon has come
 * (see `refreshOffsetMs`), and waits for them. A narrative still fresh is rewritten on purpose; a
 * stale one only if the job, inside the user's lock, still finds it stale.
 */
export async function runRefreshPass(app: App, options: RefreshPassOptions): Promise<RefreshSummary> {
  const startedAt = performance.now();
  const { policy } = app.engine;
  const horizonMs = options.horizonHours * HOUR_MS;
  if (!(horizonMs > 0 && horizonMs < policy.ttlMs)) {
    throw new UserFacingError(`the refresh horizon must be more than 0 and less than the TTL (${policy.ttlMs / HOUR_MS} hours); got ${options.horizonHours}`);
  }
  if (!(options.activeDays > 0)) throw new UserFacingError(`active days must be a positive number; got ${options.activeDays}`);
  if (!(Number.isInteger(options.limit) && options.limit >= 1)) throw new UserFacingError(`the limit must be a whole number of at least 1; got ${options.limit}`);

  await purgeExpiredOAuth(app);
  const expiry = await sweepExpiredMemories(app, options.expiredRetentionDays ?? app.config.EXPIRED_MEMORY_RETENTION_DAYS);
  const now = app.clock.now();
  const candidates = await app.repositories.narratives.dueForRefresh({
    now: new Date(now),
    ttlMs: policy.ttlMs,
    windowMs: horizonMs,
    invalidateAfterNewMemories: policy.invalidateAfterNewMemories,
    activeSince: new Date(now - options.activeDays * DAY_MS),
    limit: options.limit,
  });
  const summary: RefreshSummary = {
    due: candidates.length,
    refreshed: 0,
    skipped: 0,
    failed: 0,
    abandoned: 0,
    durationMs: 0,
    failures: [],
    interrupted: false,
    expiry,
  };

  const externalId = async (userId: string) => (await app.repositories.users.findById(userId))?.external_id ?? userId;
  const record = async (userId: string, due: string, outcome: GenerationOutcome) => {
    if (outcome.status === 'written') {
      summary.refreshed += 1;
      options.onUser?.({ user: await externalId(userId), result: 'refreshed', reason: due, version: outcome.narrative.version });
    } else if (outcome.status === 'failed') {
      summary.failed += 1;
      const user = await externalId(userId);
      if (summary.failures.length < MAX_LISTED_FAILURES) summary.failures.push({ user, kind: outcome.kind, message: outcome.message });
      options.onUser?.({ user, result: 'failed', reason: outcome.kind });
    } else if (outcome.reason === 'shutdown') {
      summary.abandoned += 1;
      options.onUser?.({ user: await externalId(userId), result: 'abandoned', reason: 'shutdown' });
    } else {
      summary.skipped += 1;
      options.onUser?.({ user: await externalId(userId), result: 'skipped', reason: outcome.reason });
    }
  };

  const finished: Promise<void>[] = [];
  let pending = 0;
  let closed = false;
  for (const candidate of candidates) {
    if (options.signal?.aborted) break;
    const assessment = assessNarrative(candidate, now, policy);
    const fresh = assessment.state === 'fresh';
    const job = app.engine.runner.request(candidate.user_id, 'scheduled', { force: fresh });
    pending += 1;
    finished.push(
      job.done.then(async (outcome) => {
        if (closed) return;
        pending -= 1;
        await record(candidate.user_id, fresh ? 'expiring' : whyGenerate(assessment, false), outcome);
      }),
    );
  }
  await untilDoneOrAborted(Promise.all(finished), options.signal);
  closed = true;
  if (options.signal?.aborted) {
    summary.interrupted = true;
    summary.abandoned += pending;
  }
  summary.durationMs = Math.round(performance.now() - startedAt);
  return summary;
}

/**
 * Drops the OAuth codes, pending sign-ins and tokens that can no longer be used. A failure is
 * logged and leaves the pass to go on: they are tried again at the next one.
 */
export async function purgeExpiredOAuth(app: App): Promise<void> {
  try {
    const purged = await app.repositories.oauthGrants.purgeExpired();
    app.logger.debug({ purged }, 'expired OAuth codes and tokens purged');
  } catch (error) {
    app.logger.warn({ err: error }, 'expired OAuth codes and tokens could not be purged; the next pass tries again');
  }
}

/**
 * Waits for `work`, or until `signal` aborts, whichever comes first. The signal is usually the
 * scheduler's, which lives as long as the server: the listener is removed when the pass ends.
 */
async function untilDoneOrAborted(work: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return;
  if (!signal) {
    await work;
    return;
  }
  let onAbort = (): void => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
