import { describe, expect, it } from 'vitest';
import { JOB_PRIORITIES } from '../../src/engine/job-priority.js';
import { CallRateLimiter } from '../../src/llm/call-rate-limiter.js';
import { ManualClock } from '../support/manual-clock.js';

const { manual, miss: analysis, backfill } = JOB_PRIORITIES;
const SECOND = 1_000;

/** Acquires a slot and records, by name, when it was granted or refused. */
function waitFor(limiter: CallRateLimiter, granted: string[], name: string, priority: number, signal?: AbortSignal): Promise<void> {
  return limiter.acquire(priority, signal).then(
    () => void granted.push(name),
    (reason: unknown) => {
      granted.push(`${name} refused`);
      throw reason;
    },
  );
}

/** Lets the limiter's granted waiters run their continuations. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the LLM call rate limiter', () => {
  it('gives a freed slot to a conversation-start analysis before the backfill calls queued ahead of it', async () => {
    const clock = new ManualClock();
    const limiter = new CallRateLimiter(2, clock);
    const granted: string[] = [];
    await waitFor(limiter, granted, 'backfill 1', backfill);
    await clock.advance(SECOND);
    await waitFor(limiter, granted, 'backfill 2', backfill);
    const queued = [waitFor(limiter, granted, 'backfill 3', backfill), waitFor(limiter, granted, 'backfill 4', backfill)];
    await clock.advance(SECOND);
    const analysisCall = waitFor(limiter, granted, 'analysis', analysis);
    await settle();
    expect(granted).toEqual(['backfill 1', 'backfill 2']);

    await clock.advance(58 * SECOND); // backfill 1 leaves the minute: one slot
    await settle();
    expect(granted).toEqual(['backfill 1', 'backfill 2', 'analysis']);

    await clock.advance(SECOND); // backfill 2 leaves: the next, first come first served among backfills
    await settle();
    expect(granted).toEqual(['backfill 1', 'backfill 2', 'analysis', 'backfill 3']);
    await clock.advance(59 * SECOND);
    await Promise.all([analysisCall, ...queued]);
    expect(granted).toEqual(['backfill 1', 'backfill 2', 'analysis', 'backfill 3', 'backfill 4']);
  });

  it('serves every waiting priority in order, manual first, and equals in the order they came', async () => {
    const clock = new ManualClock();
    const limiter = new CallRateLimiter(1, clock);
    const granted: string[] = [];
    await waitFor(limiter, granted, 'first', backfill);
    const waiting = [
      waitFor(limiter, granted, 'backfill', backfill),
      waitFor(limiter, granted, 'analysis A', analysis),
      waitFor(limiter, granted, 'manual', manual),
      waitFor(limiter, granted, 'analysis B', analysis),
    ];
    for (let minute = 0; minute < 4; minute++) await clock.advance(60 * SECOND);
    await Promise.all(waiting);
    expect(granted).toEqual(['first', 'manual', 'analysis A', 'analysis B', 'backfill']);
  });

  it('takes an aborted waiter out of the queue, rejecting it with the reason, without spending a slot', async () => {
    const clock = new ManualClock();
    const limiter = new CallRateLimiter(1, clock);
    const granted: string[] = [];
    await waitFor(limiter, granted, 'first', backfill);
    const budget = new AbortController();
    const aborted = waitFor(limiter, granted, 'analysis', analysis, budget.signal);
    const backfillCall = waitFor(limiter, granted, 'backfill', backfill);

    budget.abort(new Error('analysis budget spent'));
    await expect(aborted).rejects.toThrow('analysis budget spent');
    await clock.advance(60 * SECOND);
    await backfillCall;
    expect(granted).toEqual(['first', 'analysis refused', 'backfill']);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('refuses at once a signal already aborted, and grants at once while the minute has room', async () => {
    const limiter = new CallRateLimiter(2, new ManualClock());
    await expect(limiter.acquire(manual, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
    await limiter.acquire(backfill);
    await limiter.acquire(backfill);
  });
});
