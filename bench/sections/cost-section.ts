import type { App } from '../../src/app/app.js';
import type { SmartContextAnswer } from '../support/smart-context-call.js';
import { startFakeGemini, type FakeGemini } from '../../test/support/fake-gemini-server.js';
import { addColdUser } from '../support/add-cold-user.js';
import type { BenchRun } from '../support/bench-run.js';
import { countBy } from '../support/count-by.js';
import { exactly } from '../support/exactly.js';
import { expectSource } from '../support/expect-source.js';
import { FAKE_GEMINI_MODELS, fakeGeminiEnv } from '../support/fake-gemini-env.js';
import { connectHttp } from '../support/http-connection.js';
import { startHttpServerProcess } from '../support/http-server-process.js';
import { summarizeLatencies } from '../support/latency-summary.js';
import { closeBenchApp } from '../support/close-bench-app.js';
import { openBenchApp } from '../support/open-bench-app.js';
import { callSmartContext } from '../support/smart-context-call.js';
import { timeMs } from '../support/time-ms.js';
import { waitUntil } from '../support/wait-until.js';
import { withTimeout } from '../support/with-timeout.js';
import type { Section, SectionContext } from './section.js';

const STARTS = 100;
const PROCESSES = 2;
const GEMINI_LATENCY_MS = 2_000;
const ANALYSIS_BUDGET_MS = 1_000;
/** After the narrative appears, how long a duplicate generation would have to show up in the fake's log. */
const AFTERMATH_MS = 2 * GEMINI_LATENCY_MS + 1_000;
/** Every start answers within its analysis budget; this is only there so a hang fails the section. */
const CALLS_TIMEOUT_MS = 60_000;

/**
 * Section 5: what a burst of conversation starts for one cold user costs in LLM calls, in one
 * process and in two server processes on one PostgreSQL database (the fake Gemini counts the calls).
 */
export const costSection: Section = {
  name: 'cost',
  title: 'Cost: LLM calls for concurrent conversation starts of one cold user',
  async run(context) {
    const runs = [await oneProcess(context)];
    if (context.kind === 'postgres') runs.push(await twoProcesses(context));
    else context.log(`${PROCESSES} processes: not on PGlite (the embedded database admits one process)`);
    return runs;
  },
};

async function oneProcess(context: SectionContext): Promise<BenchRun> {
  context.log(`${STARTS} concurrent starts in one process`);
  const { memories, message } = await coldUserData(context);
  const database = await context.database();
  const fake = await startFakeGemini({ latencyMs: GEMINI_LATENCY_MS });
  const app = await openBenchApp({ ...database.env, ...llmEnv(fake) });
  try {
    const userId = await addColdUser(app, 'bench-cost-one-process', memories);
    const timed = await withTimeout(
      Promise.all(Array.from({ length: STARTS }, (_, index) => timeMs(() => app.engine.context.orchestrate(userId, message(index), true)))),
      CALLS_TIMEOUT_MS,
      `${STARTS} concurrent conversation starts`,
    );
    await settle(app, userId);
    // Awaited here, so the app is not closed under the queries of costRun.
    return await costRun(context, 'in-process', { processes: 1 }, timed.map((call) => ({ ms: call.ms, answer: call.value })), fake, app, userId);
  } finally {
    await closeBenchApp(app, context.problem);
    await fake.close();
  }
}

async function twoProcesses(context: SectionContext): Promise<BenchRun> {
  context.log(`${STARTS} concurrent starts over ${PROCESSES} HTTP server processes`);
  const { memories, message } = await coldUserData(context);
  const fixture = await context.fixture();
  const database = await context.database();
  const fake = await startFakeGemini({ latencyMs: GEMINI_LATENCY_MS });
  // This app only creates the user and watches its narrative; it serves nothing.
  const app = await openBenchApp(database.env);
  const servers = await Promise.all(
    Array.from({ length: PROCESSES }, () => startHttpServerProcess({ ...database.env, ...llmEnv(fake), HTTP_RATE_LIMIT_PER_MINUTE: '1000000' })),
  );
  try {
    const externalId = 'bench-cost-two-processes';
    const userId = await addColdUser(app, externalId, memories);
    const key = await fixture.keyFor(externalId);
    const clients = await Promise.all(Array.from({ length: STARTS }, (_, index) => connectHttp(servers[index % PROCESSES]!.url, key)));
    try {
      const calls = await withTimeout(
        Promise.all(clients.map((client, index) => callSmartContext(client, message(index)))),
        CALLS_TIMEOUT_MS,
        `${STARTS} concurrent conversation starts over HTTP`,
      );
      await settle(app, userId);
      return await costRun(context, 'http', { processes: PROCESSES, sessionsPerProcess: STARTS / PROCESSES }, calls, fake, app, userId);
    } finally {
      await Promise.allSettled(clients.map((client) => client.close()));
    }
  } catch (error) {
    throw new Error(`${String(error)}\nserver stderr:\n${servers.map((server) => server.stderr()).join('\n')}`, { cause: error });
  } finally {
    await Promise.allSettled(servers.map((server) => server.close()));
    await closeBenchApp(app, context.problem);
    await fake.close();
  }
}

async function coldUserData(context: SectionContext) {
  const fixture = await context.fixture();
  const template = fixture.hitUser;
  const messages = fixture.data.questionsOf(template);
  return { memories: fixture.data.memoriesOf(template), message: (index: number) => messages[index % messages.length]! };
}

function llmEnv(fake: FakeGemini): Record<string, string> {
  return { ...fakeGeminiEnv(fake.url), DEEP_ANALYSIS_BUDGET_MS: String(ANALYSIS_BUDGET_MS), LLM_CALLS_PER_MINUTE: '100000' };
}

/** Waits for the narrative, then long enough for any second generation to have reached the fake. */
async function settle(app: App, userId: string): Promise<void> {
  await waitUntil('the narrative of the cold user', () => app.repositories.narratives.get(userId), 60_000);
  await new Promise((resolve) => setTimeout(resolve, AFTERMATH_MS));
}

async function costRun(
  context: SectionContext,
  transport: 'in-process' | 'http',
  params: { processes: number } & Record<string, number>,
  calls: readonly { ms: number; answer: SmartContextAnswer }[],
  fake: FakeGemini,
  app: App,
  userId: string,
): Promise<BenchRun> {
  for (const call of calls) expectSource('cold conversation start', call.answer, ['deep_analysis', 'memories_only']);
  const narrative = await app.repositories.narratives.get(userId);
  const generations = fake.requests.filter((request) => request.model === FAKE_GEMINI_MODELS.narrative).length;
  const analyses = fake.requests.filter((request) => request.model === FAKE_GEMINI_MODELS.analysis).length;
  const version = narrative?.version ?? 0;
  const sources = countBy(calls, (call) => `${call.answer.source}${call.answer.reason ? ` (${call.answer.reason})` : ''}`);
  return {
    section: 'cost',
    what: `${STARTS} concurrent conversation starts, one cold user`,
    database: context.kind,
    transport,
    params: { ...params, starts: STARTS, llmLatencyMs: GEMINI_LATENCY_MS, DEEP_ANALYSIS_BUDGET_MS: ANALYSIS_BUDGET_MS },
    setting: `${params.processes} process${params.processes === 1 ? '' : 'es'}, fake Gemini ${GEMINI_LATENCY_MS / 1000} s, budget ${ANALYSIS_BUDGET_MS.toLocaleString('en-US')} ms`,
    ...summarizeLatencies(calls.map((call) => call.ms)),
    figures: { narrativeGenerations: generations, narrativeVersion: version, analysisCalls: analyses, sources: sources.text },
    summary: `${generations} narrative generation${generations === 1 ? '' : 's'} (version ${version}), ${analyses} analysis calls; answered from: ${sources.text}`,
    targets: [exactly('narrative generations', generations, 1), exactly('narrative version', version, 1)],
  };
}
