import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import type { JobPriority } from '../../src/engine/job-priority.js';
import type { NarrativeJob, NarrativeJobRunner } from '../../src/engine/narrative-job-runner.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const FACTS = ['Is a nurse.', 'Has twin boys.', 'Climbs on Sundays.', 'Is learning Portuguese.', 'Lives in Porto.'];
const SHUTDOWN = { status: 'skipped', reason: 'shutdown' };

/** A promise the test settles itself: a shutdown deadline that passes when the test says so. */
function deadline(): { passed: Promise<void>; pass: () => void } {
  let pass!: () => void;
  const passed = new Promise<void>((resolve) => (pass = resolve));
  return { passed, pass };
}

describe.each(DATABASES)('the narrative job runner on %s', (kind) => {
  let app: App;
  let runner: NarrativeJobRunner;
  let provider: ControlledProvider;
  /** Who started, by name, in the order the runner started them. */
  let started: string[];
  const names = new Map<string, string>();

  /** Users with enough memories for a narrative; returns their ids in the order given. */
  async function eligibleUsers(...externalIds: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const externalId of externalIds) {
      const { id } = await app.repositories.users.getOrCreate(externalId);
      await app.engine.memories.add(id, FACTS.map((fact) => ({ content: `${externalId} ${fact}` })), 'test');
      names.set(id, externalId);
      ids.push(id);
    }
    return ids;
  }

  /** Starts a job for the user and waits until it is inside the (held) LLM call. */
  async function runningHeld(userId: string, priority: JobPriority, options: { force?: boolean } = {}): Promise<NarrativeJob> {
    provider.hold();
    const job = runner.request(userId, priority, options);
    await until(() => provider.waiting === 1);
    expect(job.state).toBe('running');
    return job;
  }

  beforeEach(async () => {
    provider = new ControlledProvider();
    app = await openTestApp(kind, { LLM_CONCURRENCY: '1' }, { provider, clock: new ManualClock(new Date('2026-03-01T12:00:00Z')) });
    runner = app.engine.runner;
    started = [];
    runner.on('started', (userId) => started.push(names.get(userId) ?? userId));
  });
  afterEach(() => app.close({ graceMs: 0 }));

  it('starts the jobs queued behind a running one in priority order: manual, miss, scheduled, backfill', async () => {
    const [busy, backfill, scheduled, miss, manual] = await eligibleUsers('busy', 'backfill', 'scheduled', 'miss', 'manual');
    const first = await runningHeld(busy!, 'backfill');

    const queued = [
      runner.request(backfill!, 'backfill'),
      runner.request(scheduled!, 'scheduled'),
      runner.request(miss!, 'miss'),
      runner.request(manual!, 'manual'),
    ];
    expect(queued.map((job) => job.state)).toEqual(['queued', 'queued', 'queued', 'queued']);
    expect(runner.size).toEqual({ queued: 4, running: 1 });

    provider.release();
    const outcomes = await Promise.all([first.done, ...queued.map((job) => job.done)]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['written', 'written', 'written', 'written', 'written']);
    expect(started).toEqual(['busy', 'manual', 'miss', 'scheduled', 'backfill']);
  });

  it('moves a queued user ahead when a request with a higher priority arrives, and never moves one back', async () => {
    const [busy, early, later, raised] = await eligibleUsers('busy', 'early', 'later', 'raised');
    const first = await runningHeld(busy!, 'scheduled');
    const earlyJob = runner.request(early!, 'scheduled');
    const laterJob = runner.request(later!, 'backfill');
    const raisedJob = runner.request(raised!, 'backfill');

    expect(runner.request(raised!, 'manual')).toBe(raisedJob);
    expect(runner.request(early!, 'backfill')).toBe(earlyJob);
    expect(raisedJob.priority).toBe('manual');
    expect(earlyJob.priority).toBe('scheduled');

    provider.release();
    await Promise.all([first.done, earlyJob.done, laterJob.done, raisedJob.done]);
    expect(started).toEqual(['busy', 'raised', 'early', 'later']);
  });

  it('joins requests for a user whose job is queued into that one job, which generates once', async () => {
    const [busy, waiting] = await eligibleUsers('busy', 'waiting');
    const first = await runningHeld(busy!, 'miss');

    const job = runner.request(waiting!, 'backfill');
    expect(runner.request(waiting!, 'scheduled')).toBe(job);
    expect(runner.request(waiting!, 'miss', { force: true })).toBe(job);
    expect(job).toMatchObject({ state: 'queued', priority: 'miss', force: true });
    expect(runner.size).toEqual({ queued: 1, running: 1 });

    provider.release();
    await first.done;
    expect(await job.done).toMatchObject({ status: 'written', narrative: { version: 1 } });
    expect(started).toEqual(['busy', 'waiting']);
    expect(provider.calls.narrative).toBe(2);
  });

  it('follows a job with exactly one more run when asked during it, which finds the new narrative fresh and calls no LLM', async () => {
    const [user] = await eligibleUsers('ana');
    const first = await runningHeld(user!, 'miss');

    const followUp = runner.request(user!, 'miss');
    expect(followUp).not.toBe(first);
    expect(runner.request(user!, 'scheduled')).toBe(followUp);
    expect(runner.request(user!, 'miss')).toBe(followUp);
    expect(followUp.state).toBe('queued');
    expect(runner.state(user!)).toBe('running');

    provider.release();
    expect(await first.done).toMatchObject({ status: 'written', narrative: { version: 1 } });
    expect(await followUp.done).toEqual({ status: 'skipped', reason: 'fresh' });
    expect(started).toEqual(['ana', 'ana']);
    expect(provider.calls.narrative).toBe(1);
    expect((await app.repositories.narratives.get(user!))?.version).toBe(1);
    expect(runner.state(user!)).toBe('idle');
  });

  it('generates again in the follow-up when the request during the job was a forced manual one', async () => {
    const [user] = await eligibleUsers('ben');
    const first = await runningHeld(user!, 'miss');

    const followUp = runner.request(user!, 'scheduled');
    expect(runner.request(user!, 'manual', { force: true })).toBe(followUp);
    expect(followUp).toMatchObject({ priority: 'manual', force: true });

    provider.release();
    expect(await first.done).toMatchObject({ status: 'written', narrative: { version: 1 } });
    expect(await followUp.done).toMatchObject({ status: 'written', narrative: { version: 2 } });
    expect(started).toEqual(['ben', 'ben']);
    expect(provider.calls.narrative).toBe(2);
  });

  it('drops queued jobs and follow-ups on close, and lets a running job finish before the deadline', async () => {
    const [busy, queuedUser] = await eligibleUsers('busy', 'queued');
    const first = await runningHeld(busy!, 'miss');
    const followUp = runner.request(busy!, 'manual', { force: true });
    const queued = runner.request(queuedUser!, 'manual');
    const shutdown = deadline();

    let closed = false;
    const closing = runner.close(shutdown.passed).then(() => (closed = true));
    expect(await queued.done).toEqual(SHUTDOWN);
    expect(await followUp.done).toEqual(SHUTDOWN);
    expect(runner.state(queuedUser!)).toBe('idle');
    expect(runner.state(busy!)).toBe('running');
    expect(closed).toBe(false);

    provider.release();
    await closing;
    expect(await first.done).toMatchObject({ status: 'written', narrative: { version: 1 } });
    expect(started).toEqual(['busy']);
    expect(provider.calls.narrative).toBe(1);
    expect(await app.repositories.narratives.get(queuedUser!)).toBeUndefined();
    expect(runner.state(busy!)).toBe('idle');
  });

  it('aborts a job still running at the deadline, leaving the stored narrative as it was and recording no failure', async () => {
    const [user] = await eligibleUsers('cy');
    await runner.request(user!, 'manual', { force: true }).done;
    const before = await app.repositories.narratives.get(user!);
    expect(before?.version).toBe(1);

    const job = await runningHeld(user!, 'manual', { force: true });
    const shutdown = deadline();
    const closing = runner.close(shutdown.passed);
    shutdown.pass();
    await closing;

    expect(await job.done).toEqual(SHUTDOWN);
    expect(await app.repositories.narratives.get(user!)).toEqual(before);
    const status = await app.engine.status.status(user!);
    expect(status).toMatchObject({ job: 'idle', last_failure: null, narrative: { version: 1 } });
    expect(provider.calls.narrative).toBe(2);
  });

  it('answers a request made after close as skipped for shutdown, without running anything', async () => {
    const [user] = await eligibleUsers('dee');
    await runner.close(Promise.resolve());

    const job = runner.request(user!, 'manual', { force: true });
    expect(await job.done).toEqual(SHUTDOWN);
    expect(runner.state(user!)).toBe('idle');
    expect(started).toEqual([]);
    expect(provider.calls.narrative).toBe(0);
  });
});
