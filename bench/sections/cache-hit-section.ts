import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { atMost } from '../support/at-most.js';
import type { BenchRun } from '../support/bench-run.js';
import { CLI_PATH } from '../support/cli-path.js';
import { connectHttp } from '../support/http-connection.js';
import { expectSource } from '../support/expect-source.js';
import { startHttpServerProcess } from '../support/http-server-process.js';
import { summarizeLatencies } from '../support/latency-summary.js';
import { closeBenchApp } from '../support/close-bench-app.js';
import { openBenchApp } from '../support/open-bench-app.js';
import { processMemory } from '../support/process-memory.js';
import { repeatTimed } from '../support/repeat-timed.js';
import { sampleRss } from '../support/rss-sampler.js';
import { callSmartContext } from '../support/smart-context-call.js';
import { connectStdio } from '../support/stdio-connection.js';
import { timeMs } from '../support/time-ms.js';
import type { Section, SectionContext } from './section.js';

const WHAT = 'orchestrate_smart_context, cache hit';
/** How long a server sits after start-up before its idle RSS is read. */
const SETTLE_MS = 1_000;

/**
 * Section 1: one client, one call at a time, for a LoCoMo user with a fresh narrative: the engine
 * call in this process, then the real server over stdio and over Streamable HTTP.
 */
export const cacheHitSection: Section = {
  name: 'hit',
  title: 'Cache-hit latency (in process, stdio, Streamable HTTP)',
  async run(context) {
    const fixture = await context.fixture();
    const database = await context.database();
    const user = fixture.hitUser;
    const messages = fixture.data.questionsOf(user);
    const params = {
      user,
      memories: fixture.data.memoriesOf(user).length,
      calls: context.full ? 20_000 : 2_000,
      warmup: context.full ? 1_000 : 200,
      messages: messages.length,
    };
    const message = (index: number) => messages[index % messages.length]!;
    const runs: BenchRun[] = [];

    context.log('in process');
    const app = await openBenchApp(database.env);
    try {
      const row = await app.repositories.users.findByExternalId(user);
      if (!row) throw new Error(`bench: user ${user} is missing from the fixture`);
      const samples = await repeatTimed(params.warmup, params.calls, async (index) => {
        const { ms, value } = await timeMs(() => app.engine.context.orchestrate(row.id, message(index), true));
        expectSource('in-process hit', value, ['cache']);
        return ms;
      });
      const latency = summarizeLatencies(samples);
      runs.push({
        section: 'hit',
        what: WHAT,
        database: context.kind,
        transport: 'in-process',
        params: { ...params, call: 'engine.context.orchestrate' },
        setting: setting(params),
        ...latency,
        figures: {},
        summary: '',
        targets: [atMost('p99', latency.p99, 0.05, 'ms')],
      });
    } finally {
      await closeBenchApp(app, context.problem);
    }

    context.log('over stdio');
    const stdio = await connectStdio(process.execPath, [CLI_PATH, 'serve', '--stdio', '--user', user], database.env);
    try {
      runs.push(await measureServer(context, 'stdio', stdio.client, stdio.pid, params, message));
    } finally {
      await stdio.close();
    }

    context.log('over Streamable HTTP');
    const key = await fixture.keyFor(user);
    const server = await startHttpServerProcess({ ...database.env, HTTP_RATE_LIMIT_PER_MINUTE: '1000000' });
    try {
      const client = await connectHttp(server.url, key);
      try {
        runs.push(await measureServer(context, 'http', client, server.pid, params, message));
      } finally {
        await client.close();
      }
    } catch (error) {
      throw new Error(`${String(error)}\nserver stderr:\n${server.stderr()}`, { cause: error });
    } finally {
      await server.close();
    }
    return runs;
  },
};

async function measureServer(
  context: SectionContext,
  transport: 'stdio' | 'http',
  client: Client,
  pid: number,
  params: { calls: number; warmup: number } & Record<string, string | number>,
  message: (index: number) => string,
): Promise<BenchRun> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const idleRssMb = processMemory(pid)?.rssMb ?? NaN;
  let rss: ReturnType<typeof sampleRss> | undefined;
  const samples = await repeatTimed(params.warmup, params.calls, async (index) => {
    if (index === params.warmup) rss = sampleRss(pid);
    const { ms, answer } = await callSmartContext(client, message(index));
    expectSource(`${transport} hit`, answer, ['cache']);
    return ms;
  });
  const memory = rss!.stop();
  const latency = summarizeLatencies(samples);
  return {
    section: 'hit',
    what: WHAT,
    database: context.kind,
    transport,
    params: { ...params, client: 'MCP SDK Client', server: transport === 'stdio' ? 'serve --stdio' : 'serve --http' },
    setting: setting(params),
    ...latency,
    figures: { serverIdleRssMb: idleRssMb, serverPeakRssMb: memory.peakMb, serverLifetimePeakRssMb: memory.hwmMb },
    summary: `server RSS idle ${idleRssMb} MB, peak ${memory.peakMb} MB`,
    targets: [
      ...(transport === 'stdio' ? [atMost('p50', latency.p50, 0.3, 'ms'), atMost('p99', latency.p99, 1, 'ms')] : []),
      atMost('idle RSS', idleRssMb, 120, 'MB'),
    ],
  };
}

function setting(params: { calls: number; warmup: number }): string {
  return `${params.calls.toLocaleString('en-US')} calls after ${params.warmup} warm-up, one at a time`;
}
