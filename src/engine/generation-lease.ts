import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import type { LeaseTerm } from '../repositories/generation-state-repository.js';
import type { RepositorySet } from '../repositories/repository-set.js';

/** The lease on a user's generation went to another process: whatever this one wrote is not stored. */
export class LeaseLostError extends Error {
  constructor(userId: string) {
    super(`the lease on user ${userId}'s narrative expired and another process took it over`);
    this.name = 'LeaseLostError';
  }
}

/** Why the renewals stop: one reason for all, since `abort()` without one makes a DOMException each time. */
const WORK_ENDED = new Error('the work under the lease ended');

export interface HeldLease {
  /** Aborts when the caller's signal does (with its reason) or when the lease is lost (with a `LeaseLostError`). */
  readonly signal: AbortSignal;
  /**
   * Stores the work in one transaction fenced by the lease: its first statement, while the lease
   * is still ours, records the success at `at`, gives the lease up and takes the user's row in
   * share mode (else it throws `LeaseLostError`, and nothing is written); a write that fails rolls
   * it all back, the lease with it. Nothing is left to release after the commit, which does not
   * wait for the disk (see `GenerationStateRepository.claimSuccessAndRelease`).
   */
  store<T>(at: Date, write: (transaction: RepositorySet) => Promise<T>): Promise<T>;
}

export interface GenerationLeaseDeps {
  repositories: RepositorySet;
  clock: Clock;
  /** How long a lease lasts unless renewed: how long a dead holder keeps the user from the others. */
  leaseMs: number;
  logger: Logger;
}

export type LeaseOutcome<T> = { held: true; value: T } | { held: false };

/**
 * Takes the lease for `token` unless another holder's is running (one statement, so two processes
 * asking at once cannot both get it), with what the same statement read: undefined when not taken.
 */
export type TakeLease<R> = (token: string, term: LeaseTerm) => Promise<R | undefined>;

/**
 * Runs `work` while holding the lease on the user's row of `narrative_generation_state` that
 * `take` took, with what it read, or reports that another holder's lease is running — one
 * generation per user across every process on the database, without holding a connection while
 * the LLM writes. The lease is renewed every
 * third of its length on the clock; if a renewal finds it taken over, `work`'s signal aborts.
 * Neither a renewal that fails (the database away) nor one that comes late aborts anything: the
 * lease stays ours until another process takes it, and the fence is what decides the write.
 */
export async function withGenerationLease<R, T>(
  deps: GenerationLeaseDeps,
  userId: string,
  signal: AbortSignal,
  take: TakeLease<R>,
  work: (lease: HeldLease, taken: R) => Promise<T>,
): Promise<LeaseOutcome<T>> {
  const { repositories, clock, leaseMs } = deps;
  const token = randomUUID();
  const now = clock.now();
  const taken = await take(token, { now: new Date(now), expiresAt: new Date(now + leaseMs) });
  if (taken === undefined) return { held: false };
  const lease = new AbortController();
  const onAbort = () => lease.abort(signal.reason);
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  const stopRenewing = new AbortController();
  const renewing = keepRenewed(deps, userId, token, lease, stopRenewing.signal);
  let released = false;
  try {
    const held: HeldLease = {
      signal: lease.signal,
      store: async (at, write) => {
        const stored = await repositories.transaction(async (transaction) => {
          if (!(await transaction.generationState.claimSuccessAndRelease(userId, token, at))) throw new LeaseLostError(userId);
          return write(transaction);
        });
        released = true;
        return stored;
      },
    };
    const value = await work(held, taken);
    return { held: true, value };
  } finally {
    signal.removeEventListener('abort', onAbort);
    stopRenewing.abort(WORK_ENDED);
    await renewing;
    if (!released) await repositories.generationState.releaseLease(userId, token).catch((error: unknown) => {
      deps.logger.warn({ err: error, userId }, "could not release the lease on the user's narrative; it expires on its own");
    });
  }
}

async function keepRenewed(deps: GenerationLeaseDeps, userId: string, token: string, lease: AbortController, stop: AbortSignal): Promise<void> {
  const { repositories, clock, leaseMs, logger } = deps;
  for (;;) {
    try {
      await clock.sleep(leaseMs / 3, stop);
    } catch {
      return;
    }
    try {
      if (!(await repositories.generationState.renewLease(userId, token, new Date(clock.now() + leaseMs)))) {
        lease.abort(new LeaseLostError(userId));
        return;
      }
    } catch (error) {
      logger.warn({ err: error, userId }, "could not renew the lease on the user's narrative; trying again");
    }
  }
}
