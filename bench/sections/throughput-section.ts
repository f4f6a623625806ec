import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { atLeast } from '../support/at-least.js';
import { atMost } from '../support/at-most.js';
import type { BenchRun } from '../support/bench-run.js';
import { expectSource } from '../support/expect-source.js';
import { connectHttp } from '../support/http-connection.js';
import { startHttpServerProcess } from '../support/http-server-process.js';
import { summarizeLatencies } from '../support/latency-summary.js';
import { processCpuSeconds } from '../support/process-cpu-seconds.js';
import { processMemory } from '../support/process-memory.js';
import { sampleRss } from '../support/rss-sampler.js';
import { callSmartContext } from '../support/smart-context-call.js';
import type { Section } from './section.js';

const LEVELS = [1, 16, 64];
const QUICK_USERS = 4;

/**
 * Section 3: closed-loop clients over Streamable HTTP, each on a session of its own (spread over
 * the LoCoMo users, one key each), calling as fast as answers come back, against one server process.
 */
export const throughputSection: Section = {
  name: 'throughput',
  title: 'Throughput over Streamable HTTP',
  async run(context) {
    const fixture = await context.fixture();
    const database = await context.database();
    // Quick runs spread the clients over fewer users: each key costs a `narrative-mcp keys create` run.
    const users = fixture.data.users.slice(0, context.full ? undefined : QUICK_USERS);
    const durationMs = context.full ? 30_000 : 4_000;
    const warmupMs = context.full ? 3_000 : 1_000;
    const keys = new Map<string, string>();
    for (const user of users) keys.set(user, await fixture.keyFor(user));
    const server = await startHttpServerProcess({ ...database.env, HTTP_RATE_LIMIT_PER_MINUTE: '1000000' });
    const runs: BenchRun[] = [];
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const idleRssMb = processMemory(server.pid)?.rssMb ?? NaN;
      for (const level of LEVELS) {
        context.log(`${level} concurrent client${level === 1 ? '' : 's'}`);
        const clients: { client: Client; user: string }[] = [];
        for (let index = 0; index < level; index += 1) {
          const user = users[index % users.length]!;
          clients.push({ client: await connectHttp(server.url, keys.get(user)!), user });
        }
        try {
          await closedLoop(clients, fixture.data.questionsOf.bind(fixture.data), warmupMs);
          const rss = sampleRss(server.pid);
          const serverCpuBefore = processCpuSeconds(server.pid);
          const benchCpuBefore = process.cpuUsage();
          const started = performance.now();
          const samples = await closedLoop(clients, fixture.data.questionsOf.bind(fixture.data), durationMs);
          const seconds = (performance.now() - started) / 1000;
          // Both share the machine's cores: a client side near one full core means the figure is the load generator's limit too.
          const serverCpuPercent = Math.round(((processCpuSeconds(server.pid) - serverCpuBefore) / seconds) * 100);
          const benchCpu = process.cpuUsage(benchCpuBefore);
          const clientCpuPercent = Math.round(((benchCpu.user + benchCpu.system) / 1e6 / seconds) * 100);
          const memory = rss.stop();
          const latency = summarizeLatencies(samples);
          const callsPerSecond = Math.round(samples.length / seconds);
          runs.push({
            section: 'throughput',
            what: 'orchestrate_smart_context, cache hits',
            database: context.kind,
            transport: 'http',
            params: { clients: level, sessions: level, users: Math.min(level, users.length), durationS: durationMs / 1000, warmupS: warmupMs / 1000 },
            setting: `${level} client${level === 1 ? '' : 's'}, ${durationMs / 1000} s after ${warmupMs / 1000} s warm-up`,
            ...latency,
            figures: {
              callsPerSecond,
              serverIdleRssMb: idleRssMb,
              serverPeakRssMb: memory.peakMb,
              serverLifetimePeakRssMb: memory.hwmMb,
              serverCpuPercent,
              clientCpuPercent,
            },
            summary:
              `${callsPerSecond.toLocaleString('en-US')} calls/s; server RSS peak ${memory.peakMb} MB (idle ${idleRssMb} MB); ` +
              `CPU server ${serverCpuPercent}%, clients ${clientCpuPercent}%`,
            targets: level === 64 ? [atLeast('calls/s', callsPerSecond, 2_000, ''), atMost('p99', latency.p99, 20, 'ms')] : [],
          });
        } finally {
          await Promise.allSettled(clients.map(({ client }) => client.close()));
        }
      }
    } catch (error) {
      throw new Error(`${String(error)}\nserver stderr:\n${server.stderr()}`);
    } finally {
      await server.close();
    }
    return runs;
  },
};

/** Every client calls in a loop until the time is up; returns each call's latency. */
async function closedLoop(
  clients: readonly { client: Client; user: string }[],
  questionsOf: (user: string) => string[],
  durationMs: number,
): Promise<number[]> {
  const deadline = performance.now() + durationMs;
  const samples: number[] = [];
  await Promise.all(
    clients.map(async ({ client, user }, offset) => {
      const messages = questionsOf(user);
      for (let index = offset; performance.now() < deadline; index += 1) {
        const { ms, answer } = await callSmartContext(client, messages[index % messages.length]!);
        expectSource('http throughput', answer, ['cache']);
        samples.push(ms);
      }
    }),
  );
  return samples;
}
