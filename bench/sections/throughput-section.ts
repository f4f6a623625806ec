import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { atLeast } from '../support/at-least.js';
import { atMost } from '../support/at-most.js';
import type { BenchRun } from '../support/bench-run.js';
import { closedLoop } from '../support/closed-loop.js';
import { connectHttp, sessionIdOf } from '../support/http-connection.js';
import { startHttpServerProcess } from '../support/http-server-process.js';
import { summarizeLatencies } from '../support/latency-summary.js';
import { processCpuSeconds } from '../support/process-cpu-seconds.js';
import { processMemory } from '../support/process-memory.js';
import { sampleRss } from '../support/rss-sampler.js';
import { wrkAvailable, wrkLoad, type WrkCaller } from '../support/wrk-load.js';
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
    const withWrk = wrkAvailable();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const idleRssMb = processMemory(server.pid)?.rssMb ?? NaN;
      for (const level of LEVELS) {
        context.log(`${level} concurrent client${level === 1 ? '' : 's'}`);
        const clients: { client: Client; user: string; key: string }[] = [];
        for (let index = 0; index < level; index += 1) {
          const user = users[index % users.length]!;
          const key = keys.get(user)!;
          clients.push({ client: await connectHttp(server.url, key), user, key });
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
          if (withWrk) runs.push(await wrkRun(context.kind, server, clients, fixture.data.questionsOf.bind(fixture.data), level, durationMs, warmupMs));
        } finally {
          await Promise.allSettled(clients.map(({ client }) => client.close()));
        }
      }
      if (!withWrk) context.log('wrk is not installed (apt-get install wrk): the throughput is measured with SDK clients only');
    } catch (error) {
      throw new Error(`${String(error)}\nserver stderr:\n${server.stderr()}`, { cause: error });
    } finally {
      await server.close();
    }
    return runs;
  },
};

/**
 * The same calls from wrk, a load generator in C in a process of its own, over as many keep-alive
 * connections as there were SDK clients, on the SDK clients' sessions.
 */
async function wrkRun(
  kind: BenchRun['database'],
  server: { url: string; pid: number },
  clients: readonly { client: Client; user: string; key: string }[],
  questionsOf: (user: string) => string[],
  level: number,
  durationMs: number,
  warmupMs: number,
): Promise<BenchRun> {
  const sessions: WrkCaller[] = clients.map(({ client, user, key }, index) => {
    const messages = questionsOf(user);
    return { key, sessionId: sessionIdOf(client), message: messages[index % messages.length]! };
  });
  await wrkLoad(server.url, sessions, level, Math.max(1, Math.round(warmupMs / 1000)));
  const rss = sampleRss(server.pid);
  const serverCpuBefore = processCpuSeconds(server.pid);
  const result = await wrkLoad(server.url, sessions, level, Math.round(durationMs / 1000));
  const serverCpuPercent = Math.round(((processCpuSeconds(server.pid) - serverCpuBefore) / result.seconds) * 100);
  const memory = rss.stop();
  const failed = result.badStatus + result.socketErrors + result.notCacheHits;
  if (failed > 0) throw new Error(`bench: wrk load at ${level} connections: ${failed} of ${result.requests} calls were not cache hits (${JSON.stringify(result)})`);
  const callsPerSecond = Math.round(result.requests / result.seconds);
  const latency = { n: result.requests, p50: result.p50, p90: result.p90, p99: result.p99, max: result.max, mean: result.mean };
  return {
    section: 'throughput',
    what: 'orchestrate_smart_context, cache hits, load from wrk',
    database: kind,
    transport: 'http',
    params: { connections: level, sessions: sessions.length, durationS: durationMs / 1000, warmupS: Math.max(1, Math.round(warmupMs / 1000)), loadGenerator: 'wrk' },
    setting: `${level} connection${level === 1 ? '' : 's'} from wrk, ${durationMs / 1000} s`,
    ...latency,
    figures: { callsPerSecond, serverPeakRssMb: memory.peakMb, serverCpuPercent },
    summary: `${callsPerSecond.toLocaleString('en-US')} calls/s; server RSS peak ${memory.peakMb} MB; CPU server ${serverCpuPercent}%`,
    targets: level === 64 ? [atLeast('calls/s', callsPerSecond, 2_000, ''), atMost('p99', latency.p99, 20, 'ms')] : [],
  };
}
