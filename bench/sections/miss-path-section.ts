import type { SmartContext } from '../../src/engine/context-service.js';
import { startFakeGemini } from '../../test/support/fake-gemini-server.js';
import { addColdUser } from '../support/add-cold-user.js';
import { atMost } from '../support/at-most.js';
import type { BenchRun } from '../support/bench-run.js';
import { countBy } from '../support/count-by.js';
import { expectSource } from '../support/expect-source.js';
import { FAKE_GEMINI_MODELS, fakeGeminiEnv } from '../support/fake-gemini-env.js';
import { summarizeLatencies } from '../support/latency-summary.js';
import { narrativeJobFinished } from '../support/narrative-job-finished.js';
import { closeBenchApp } from '../support/close-bench-app.js';
import { openBenchApp } from '../support/open-bench-app.js';
import { timeMs } from '../support/time-ms.js';
import type { Section } from './section.js';

const WHAT = 'orchestrate_smart_context, cold user (no narrative)';
const GEMINI_LATENCY_MS = 2_000;
const ANALYSIS_BUDGET_MS = 1_000;
/**
 * The per-minute LLM call limit (60 by default) counts the offline provider's calls too; a run of
 * cold users one after another would measure the limiter's queue instead of the miss path.
 */
const UNLIMITED_CALLS = '100000';

/**
 * Section 4: the first conversation start of a user who has memories but no narrative yet, timed
 * in process. Each user is new, with the memories of the largest LoCoMo user.
 */
export const missPathSection: Section = {
  name: 'miss',
  title: 'Miss path: time to first context for a cold user',
  async run(context) {
    const fixture = await context.fixture();
    const database = await context.database();
    const template = fixture.hitUser;
    const memories = fixture.data.memoriesOf(template);
    const messages = fixture.data.questionsOf(template);
    const message = (index: number) => messages[index % messages.length]!;
    const runs: BenchRun[] = [];

    context.log('offline provider');
    {
      const users = context.full ? 300 : 50;
      const warmup = 5;
      const app = await openBenchApp(database.env);
      const answers: SmartContext[] = [];
      const samples: number[] = [];
      try {
        for (let index = 0; index < warmup + users; index += 1) {
          const userId = await addColdUser(app, `bench-miss-offline-${index}`, memories);
          // The next user meets an idle engine: the narrative this miss schedules is written first.
          const written = narrativeJobFinished(app, userId, 60_000);
          const { ms, value } = await timeMs(() => app.engine.context.orchestrate(userId, message(index), true));
          expectSource('offline miss', value, ['deep_analysis', 'memories_only']);
          await written;
          if (index < warmup) continue;
          samples.push(ms);
          answers.push(value);
        }
      } finally {
        await closeBenchApp(app, context.problem);
      }
      const latency = summarizeLatencies(samples);
      const sources = countBy(answers, (answer) => answer.source);
      runs.push({
        section: 'miss',
        what: WHAT,
        database: context.kind,
        transport: 'in-process',
        params: {
          provider: 'offline',
          users,
          warmupUsers: warmup,
          memoriesPerUser: memories.length,
          betweenUsers: 'narrative written',
          LLM_CALLS_PER_MINUTE: Number(UNLIMITED_CALLS),
        },
        setting: `offline provider, ${users} users × ${memories.length} memories`,
        ...latency,
        figures: { sources: sources.text },
        summary: `answered from: ${sources.text}`,
        targets: [atMost('p99', latency.p99, 50, 'ms')],
      });
    }

    context.log(`fake Gemini at ${GEMINI_LATENCY_MS / 1000} s latency`);
    {
      const users = context.full ? 50 : 10;
      const warmup = 1;
      const fake = await startFakeGemini({ latencyMs: GEMINI_LATENCY_MS });
      const app = await openBenchApp({
        ...database.env,
        ...fakeGeminiEnv(fake.url),
        DEEP_ANALYSIS_BUDGET_MS: String(ANALYSIS_BUDGET_MS),
        LLM_CALLS_PER_MINUTE: UNLIMITED_CALLS,
      });
      const answers: SmartContext[] = [];
      const samples: number[] = [];
      try {
        for (let index = 0; index < warmup + users; index += 1) {
          const userId = await addColdUser(app, `bench-miss-gemini-${index}`, memories);
          const { ms, value } = await timeMs(() => app.engine.context.orchestrate(userId, message(index), true));
          expectSource('slow-LLM miss', value, ['deep_analysis', 'memories_only']);
          if (index < warmup) continue;
          samples.push(ms);
          answers.push(value);
        }
      } finally {
        await closeBenchApp(app, context.problem);
        await fake.close();
      }
      const latency = summarizeLatencies(samples);
      const sources = countBy(answers, (answer) => `${answer.source}${answer.reason ? ` (${answer.reason})` : ''}`);
      const analysisCalls = fake.requests.filter((request) => request.model === FAKE_GEMINI_MODELS.analysis).length;
      runs.push({
        section: 'miss',
        what: WHAT,
        database: context.kind,
        transport: 'in-process',
        params: {
          provider: 'Gemini SDK → fake Gemini',
          llmLatencyMs: GEMINI_LATENCY_MS,
          DEEP_ANALYSIS_BUDGET_MS: ANALYSIS_BUDGET_MS,
          users,
          warmupUsers: warmup,
          memoriesPerUser: memories.length,
          betweenUsers: 'nothing (background narratives overlap)',
          LLM_CALLS_PER_MINUTE: Number(UNLIMITED_CALLS),
        },
        setting: `fake Gemini ${GEMINI_LATENCY_MS / 1000} s, budget ${ANALYSIS_BUDGET_MS.toLocaleString('en-US')} ms, ${users} users × ${memories.length} memories`,
        ...latency,
        summary: `answered from: ${sources.text}`,
        figures: { sources: sources.text, analysisCalls, overBudgetP99Ms: Number((latency.p99 - ANALYSIS_BUDGET_MS).toFixed(1)) },
        targets: [atMost('max, before the LLM answers,', latency.max, GEMINI_LATENCY_MS, 'ms')],
      });
    }
    return runs;
  },
};
