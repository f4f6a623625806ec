import { Writable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { GeminiProvider } from '../../src/llm/gemini-provider.js';
import { startFakeGemini, type FakeGemini, type FakeGeminiOutcome } from '../support/fake-gemini-server.js';
import { reliabilityRuns } from '../support/reliability-runs.js';
import { ScriptedGemini } from '../support/scripted-gemini.js';
import { SteppingClock } from '../support/stepping-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const RUNS = reliabilityRuns(20);
const MAX_RETRIES = 3;
const BUDGET_MS = 10_000;
const TIMEOUT_MS = 60_000;
const NARRATIVE_MODEL = 'gemini-2.5-pro';
const ANALYSIS_MODEL = 'gemini-2.5-flash';

interface Fault {
  name: string;
  outcome: FakeGeminiOutcome;
  /** The failure kind `narrative_status` reports for it. */
  kind: string;
  retryable: boolean;
}

/** What a Gemini in trouble answers, and how each answer must be classified. */
const FAULTS: Fault[] = [
  { name: '429 with a 20 s RetryInfo', outcome: { kind: 'error', status: 429, retryDelay: '20s' }, kind: 'rate_limited', retryable: true },
  { name: '429 with Retry-After', outcome: { kind: 'error', status: 429, retryAfter: '7' }, kind: 'rate_limited', retryable: true },
  { name: '500', outcome: { kind: 'error', status: 500 }, kind: 'server_error', retryable: true },
  { name: '503', outcome: { kind: 'error', status: 503 }, kind: 'server_error', retryable: true },
  { name: 'a hang past the timeout', outcome: { kind: 'hang' }, kind: 'timeout', retryable: true },
  { name: 'a reset connection', outcome: { kind: 'reset' }, kind: 'network', retryable: true },
  { name: 'malformed JSON', outcome: { kind: 'malformed' }, kind: 'server_error', retryable: true },
  { name: 'no candidates', outcome: { kind: 'empty' }, kind: 'empty', retryable: true },
  { name: 'a safety-blocked prompt', outcome: { kind: 'blocked', blockReason: 'SAFETY' }, kind: 'blocked', retryable: false },
  { name: 'an answer stopped for safety', outcome: { kind: 'finish', finishReason: 'SAFETY', text: 'The user is' }, kind: 'blocked', retryable: false },
  { name: 'an answer cut off at the token limit', outcome: { kind: 'finish', finishReason: 'MAX_TOKENS', text: 'The user is a' }, kind: 'invalid_output', retryable: false },
  { name: 'an absurdly long answer', outcome: { kind: 'text', text: 'very long '.repeat(5_000) }, kind: 'invalid_output', retryable: false },
  { name: 'white space', outcome: { kind: 'text', text: ' \n\t ' }, kind: 'invalid_output', retryable: false },
];

type Answer = { fault: Fault } | { text: string };

/** Gemini's answers to successive attempts of one call: faults, maybe ending in a good text. */
const answers = fc.array(
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FAULTS).map((fault): Answer => ({ fault })) }, { weight: 1, arbitrary: fc.constant<Answer>({ text: 'good' }) }),
  { minLength: 1, maxLength: MAX_RETRIES + 2 },
);

/** What the call must come to: the answers it consumes (no more), and the text written or the failure recorded. */
function expectedOf(sequence: readonly Answer[], goodText: string): { consumed: Answer[]; result: { text: string } | { kind: string } } {
  const consumed: Answer[] = [];
  for (const answer of sequence.slice(0, MAX_RETRIES + 1)) {
    consumed.push(answer);
    if ('text' in answer) return { consumed, result: { text: goodText } };
    if (!answer.fault.retryable || consumed.length === MAX_RETRIES + 1) return { consumed, result: { kind: answer.fault.kind } };
  }
  // Answers ran out with attempts left: the next one gets the fake's default, a good text.
  return { consumed, result: { text: goodText } };
}

function outcomeOf(answer: Answer, goodText: string): FakeGeminiOutcome {
  return 'text' in answer ? { kind: 'text', text: goodText } : answer.fault.outcome;
}

describe.each(DATABASES)('LLM faults on %s', (kind) => {
  let fake: FakeGemini;
  let clock: SteppingClock;
  let gemini: ScriptedGemini;
  let app: App;
  const logLines: Record<string, unknown>[] = [];
  let users = 0;
  let faultsInjected = 0;

  beforeAll(async () => {
    fake = await startFakeGemini({ apiKey: 'test-key' });
    clock = new SteppingClock(new Date('2026-05-01T08:00:00Z'));
    const models = { narrative: NARRATIVE_MODEL, analysis: ANALYSIS_MODEL };
    const real = new GeminiProvider({ apiKey: 'test-key', baseUrl: fake.url, narrativeModel: NARRATIVE_MODEL, analysisModel: ANALYSIS_MODEL, clock });
    gemini = new ScriptedGemini(real, fake, models, (request) => /llm-user-\d+-x/.exec(request.memories[0]?.content ?? '')?.[0]);
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    app = await openTestApp(
      kind,
      {
        GEMINI_API_KEY: 'test-key',
        GEMINI_BASE_URL: fake.url,
        LLM_MAX_RETRIES: String(MAX_RETRIES),
        LLM_TIMEOUT_MS: String(TIMEOUT_MS),
        DEEP_ANALYSIS_BUDGET_MS: String(BUDGET_MS),
        LLM_CALLS_PER_MINUTE: '100000',
        // The PostgreSQL test pool has 4 connections: each running job holds one for its lock and needs another.
        LLM_CONCURRENCY: '2',
      },
      { clock, provider: gemini, logger: pino({ level: 'info' }, sink) },
    );
  });
  afterAll(async () => {
    console.info(`llm-faults on ${kind}: ${faultsInjected} faults injected into ${fake.calls} Gemini calls for ${users} users`);
    await app.close({ graceMs: 0 });
    await fake.close();
  });

  async function newUser(): Promise<{ id: string; name: string }> {
    const name = `llm-user-${++users}-x`;
    const user = await app.repositories.users.getOrCreate(name);
    const facts = ['restores harpsichords', 'lives above a bakery', 'has a tortoise called Ada', 'runs marathons', 'is learning Icelandic'];
    await app.engine.memories.add(user.id, facts.map((fact) => ({ content: `${name} ${fact}.` })), 'test');
    return { id: user.id, name };
  }

  /**
   * Waits for work that sleeps between real calls (backoff, retry delays, timeouts, the analysis
   * budget): whenever nothing but the clock can make progress, moves it to the next deadline.
   */
  async function settle<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => (settled = true));
    watched.catch(() => undefined);
    while (!settled) {
      await until(() => settled || (gemini.onlyWaitingForTheClock && clock.nextDeadline !== undefined), 60_000);
      if (!settled) await clock.advance(clock.nextDeadline! - clock.now());
    }
    return watched;
  }

  function script(purpose: 'narrative' | 'analysis', user: string, outcomes: FakeGeminiOutcome[]): void {
    faultsInjected += outcomes.filter((outcome) => outcome.kind !== 'text' || outcome.text.trim().length === 0 || outcome.text.length > 20_000).length;
    gemini.script(purpose, user, outcomes);
  }

  it('never stores a failed or partial narrative and keeps the last good one, whatever Gemini answers', async () => {
    const { metrics } = app.engine;
    await fc.assert(
      fc.asyncProperty(answers, async (sequence) => {
        const user = await newUser();
        fake.respondWith((request) => `First narrative of ${request.prompt.includes(user.name) ? user.name : 'someone'}.`);
        await settle(app.engine.runner.request(user.id, 'manual').done);
        const before = (await app.repositories.narratives.get(user.id))!;
        expect(before.version).toBe(1);

        const goodText = `Second narrative of ${user.name}, complete.`;
        const expected = expectedOf(sequence, goodText);
        script('narrative', user.name, expected.consumed.map((answer) => outcomeOf(answer, goodText)));
        fake.respondWith(goodText);
        const calls = fake.calls;
        const failedBefore = await metrics.count(metrics.generations, { outcome: 'failed' });
        const linesBefore = logLines.length;
        {
          const outcome = await settle(app.engine.runner.request(user.id, 'manual', { force: true }).done);
          const after = (await app.repositories.narratives.get(user.id))!;
          const status = await app.engine.status.status(user.id);
          const problems = logLines.slice(linesBefore).filter((line) => (line.level as number) >= 40 && line.userId === user.id);
          if ('text' in expected.result) {
            expect(outcome).toMatchObject({ status: 'written' });
            expect(after).toMatchObject({ version: 2, narrative_content: goodText });
            expect(status.last_failure).toBeNull();
            expect(problems).toHaveLength(0);
          } else {
            expect(outcome).toMatchObject({ status: 'failed', kind: expected.result.kind });
            expect(after).toMatchObject({ version: 1, narrative_content: before.narrative_content, generated_at: before.generated_at });
            expect(status.last_failure).toMatchObject({ kind: expected.result.kind, consecutive_failures: 1 });
            // Counted and logged once per generation, not once per attempt.
            expect(await metrics.count(metrics.generations, { outcome: 'failed' })).toBe(failedBefore + 1);
            expect(problems).toHaveLength(1);
          }
          const attempts = 'text' in expected.result && expected.consumed.every((answer) => 'fault' in answer) ? expected.consumed.length + 1 : expected.consumed.length;
          expect(fake.calls - calls).toBe(attempts);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('answers every conversation start inside its budget, whatever the analysis calls answer', async () => {
    await fc.assert(
      fc.asyncProperty(answers, async (sequence) => {
        const user = await newUser();
        const analysis = `Briefing for ${user.name}.`;
        script('analysis', user.name, sequence.map((answer) => outcomeOf(answer, analysis)));
        fake.respondWith(analysis);
        try {
          const context = await settle(app.engine.context.orchestrate(user.id, 'How should I train for the next marathon?'));
          expect(context.elapsed_ms).toBeLessThanOrEqual(BUDGET_MS);
          expect(context.generation_scheduled).toBe(true);
          if (context.source === 'deep_analysis') {
            expect(context.text).toContain(analysis);
          } else {
            expect(context).toMatchObject({ source: 'memories_only', reason: expect.stringMatching(/^analysis_(failed|timeout)$/) });
            expect(context.memories.length).toBeGreaterThan(0);
          }
          if ('text' in sequence[0]!) expect(context.source).toBe('deep_analysis');
        } finally {
          gemini.script('analysis', user.name, []);
          await settle(app.engine.runner.onIdle());
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('answers twenty simultaneous conversation starts inside the budget during a 429 storm, logging each once', async () => {
    const stop = fake.failWhen((request) => request.model === ANALYSIS_MODEL, { kind: 'error', status: 429, retryDelay: '30s' });
    try {
      const people = await Promise.all(Array.from({ length: 20 }, () => newUser()));
      const calls = fake.calls;
      const linesBefore = logLines.length;
      const starts = Promise.all(people.map((user) => app.engine.context.orchestrate(user.id, 'What should I cook tonight?')));
      const analyses = () => fake.requests.slice(calls).filter((request) => request.model === ANALYSIS_MODEL).length;
      // Every start reads the database before its budget begins; time moves only once all of them are asking Gemini.
      await until(() => analyses() === 20, 60_000);
      faultsInjected += 20;
      const contexts = await settle(starts);
      for (const context of contexts) {
        expect(context).toMatchObject({ source: 'memories_only', reason: 'analysis_timeout', generation_scheduled: true });
        expect(context.elapsed_ms).toBeLessThanOrEqual(BUDGET_MS);
      }
      // One attempt each: the storm's 30 s retry delay is past the budget, so nobody retried.
      expect(fake.requests.slice(calls).filter((request) => request.model === ANALYSIS_MODEL)).toHaveLength(20);
      const warnings = logLines.slice(linesBefore).filter((line) => (line.level as number) >= 40 && people.some((user) => user.id === line.userId));
      expect(warnings.filter((line) => String(line.msg).startsWith('deep analysis'))).toHaveLength(20);
    } finally {
      stop();
      await settle(app.engine.runner.onIdle());
    }
  });
});
