import { get } from 'node:http';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { BenchRun } from '../support/bench-run.js';
import { closedLoop } from '../support/closed-loop.js';
import { connectHttp, sessionIdOf } from '../support/http-connection.js';
import { SERVE_HTTP, startHttpServerProcess, type HttpServerProcess } from '../support/http-server-process.js';
import { summarizeLatencies, type LatencySummary } from '../support/latency-summary.js';
import { processCpuSeconds } from '../support/process-cpu-seconds.js';
import { processTree } from '../support/process-tree.js';
import { waitUntil } from '../support/wait-until.js';
import { wrkAvailable, wrkLoad, type WrkCaller } from '../support/wrk-load.js';
import type { Section } from './section.js';

const CONNECTIONS = 64;
const QUICK_USERS = 4;
const WORKERS = 2;
const WORKERS_READY_TIMEOUT_MS = 30_000;

/** A way to run the server, and how many processes it should be. */
interface Configuration {
  label: string;
  command: string;
  args: readonly string[];
  vars: Readonly<Record<string, string>>;
  /** The primary and its workers, or the one process. */
  processes: number;
  /** Whether it keeps MCP sessions: then each connection calls on a session of its own. */
  sessions: boolean;
}

const WITH_SESSIONS: Configuration = {
  label: 'one process with sessions',
  command: 'serve --http',
  args: SERVE_HTTP,
  vars: {},
  processes: 1,
  sessions: true,
};

const ONE_PROCESS: Configuration = {
  label: 'one process without sessions',
  command: 'serve --http with HTTP_SESSIONS=stateless',
  args: SERVE_HTTP,
  vars: { HTTP_SESSIONS: 'stateless' },
  processes: 1,
  sessions: false,
};

const WORKER_PROCESSES: Configuration = {
  label: `${WORKERS} workers`,
  command: `serve --http --workers ${WORKERS}`,
  args: [...SERVE_HTTP, '--workers', String(WORKERS)],
  vars: {},
  processes: 1 + WORKERS,
  sessions: false,
};

interface Timing {
  rounds: number;
  durationS: number;
  warmupS: number;
}

/** One connection's share of the load: the key it calls with and the message it sends. */
interface Caller {
  user: string;
  key: string;
  message: string;
}

/** What one round of one configuration measured. */
interface Round {
  calls: number;
  seconds: number;
  latency: LatencySummary;
  /** CPU time of every process of the server: the primary and its workers. */
  serverCpuSeconds: number;
  loadCpuSeconds: number;
}

/** The same calls from wrk or from SDK clients: a warm-up, then a measured stretch. */
interface Load {
  generator: 'wrk' | 'MCP SDK clients';
  round(server: HttpServerProcess, configuration: Configuration): Promise<Round>;
}

/**
 * Section 10: the same closed-loop load of cache hits at 64 connections against one process
 * without sessions, against `serve --http --workers 2` (each POST stands alone in both) and, for
 * what answering without sessions costs, against one process keeping them (each connection on a
 * session of its own), in rounds that take the three in turn (forwards, then backwards), each
 * round on a server started for it: calls per second, latency, the CPU of all the server's
 * processes and of the load generator, each configuration's median over its rounds.
 */
export const workersSection: Section = {
  name: 'workers',
  title: `Workers: one process without sessions against serve --http --workers ${WORKERS} and one process with sessions`,
  async run(context) {
    const fixture = await context.fixture();
    const database = await context.database();
    // Quick runs spread the calls over fewer users: each key costs a `narrative-mcp keys create` run.
    const users = fixture.data.users.slice(0, context.full ? undefined : QUICK_USERS);
    const timing: Timing = context.full ? { rounds: 3, durationS: 30, warmupS: 3 } : { rounds: 2, durationS: 4, warmupS: 1 };
    const callers: Caller[] = [];
    for (let index = 0; index < CONNECTIONS; index += 1) {
      const user = users[index % users.length]!;
      const messages = fixture.data.questionsOf(user);
      callers.push({ user, key: await fixture.keyFor(user), message: messages[index % messages.length]! });
    }
    const questionsOf = fixture.data.questionsOf.bind(fixture.data);
    const load = wrkAvailable() ? wrkRounds(callers, timing) : sdkClientRounds(callers, questionsOf, timing);
    if (load.generator !== 'wrk') context.log('wrk is not installed (apt-get install wrk): the load comes from MCP SDK clients in this process');

    const measured = new Map<Configuration, Round[]>([
      [ONE_PROCESS, []],
      [WORKER_PROCESSES, []],
      [WITH_SESSIONS, []],
    ]);
    for (let round = 0; round < timing.rounds; round += 1) {
      // Forwards, then backwards: a drift in the machine's other work falls on all alike.
      const forwards = [ONE_PROCESS, WORKER_PROCESSES, WITH_SESSIONS];
      const order = round % 2 === 0 ? forwards : forwards.toReversed();
      for (const configuration of order) {
        const result = await measureRound(configuration, { ...database.env, HTTP_RATE_LIMIT_PER_MINUTE: '1000000' }, load);
        measured.get(configuration)!.push(result);
        context.log(
          `round ${round + 1} of ${timing.rounds}, ${configuration.label}: ${Math.round(result.calls / result.seconds).toLocaleString('en-US')} calls/s, ` +
            `server CPU ${Math.round((result.serverCpuSeconds / result.seconds) * 100)}%`,
        );
      }
    }
    const common = { kind: context.kind, users: users.length, timing, generator: load.generator };
    const oneProcessRounds = measured.get(ONE_PROCESS)!;
    return [
      row(ONE_PROCESS, oneProcessRounds, common, null),
      row(WORKER_PROCESSES, measured.get(WORKER_PROCESSES)!, common, medianCallsPerSecond(oneProcessRounds)),
      row(WITH_SESSIONS, measured.get(WITH_SESSIONS)!, common, medianCallsPerSecond(oneProcessRounds)),
    ];
  },
};

/** Starts the server as `configuration` says, waits until each of its workers answers, runs one round of the load and stops it. */
async function measureRound(configuration: Configuration, vars: Readonly<Record<string, string>>, load: Load): Promise<Round> {
  const server = await startHttpServerProcess({ ...vars, ...configuration.vars }, configuration.args);
  try {
    if (configuration.processes > 1) await everyWorkerAnswering(server.url, configuration.processes - 1);
    return await load.round(server, configuration);
  } catch (error) {
    throw new Error(`${String(error)}\n${configuration.command} stderr:\n${server.stderr()}`, { cause: error });
  } finally {
    await server.close();
  }
}

/**
 * Waits until `/healthz`, asked on a new connection each time, has named `workers` different
 * workers: the first worker listens alone before the others start.
 */
async function everyWorkerAnswering(url: string, workers: number): Promise<void> {
  const seen = new Set<number | null>();
  await waitUntil(
    `${workers} workers answering /healthz`,
    async () => {
      seen.add(await healthzWorker(url));
      return seen.size >= workers ? true : undefined;
    },
    WORKERS_READY_TIMEOUT_MS,
    20,
  );
}

function healthzWorker(url: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    get(`${url}/healthz`, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        try {
          resolve((JSON.parse(body) as { worker: number | null }).worker);
        } catch (error) {
          reject(new Error(`bench: /healthz answered ${response.statusCode} ${body}`, { cause: error }));
        }
      });
    }).on('error', reject);
  });
}

/**
 * The CPU time the server's processes use from now until the returned function is called. They
 * must be the processes expected, and the same at the end: a worker replaced meanwhile would take
 * its CPU time with it.
 */
function serverCpuFrom(server: HttpServerProcess, configuration: Configuration): () => number {
  const pids = processTree(server.pid);
  if (pids.length !== configuration.processes) {
    throw new Error(`bench: ${configuration.command} should run ${configuration.processes} process(es), found ${pids.length} (${pids.join(', ')})`);
  }
  const cpuSeconds = () => pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const before = cpuSeconds();
  return () => {
    const now = processTree(server.pid);
    if (String(now.toSorted()) !== String(pids.toSorted())) {
      throw new Error(`bench: ${configuration.command} changed processes during the measurement: ${pids.join(', ')} became ${now.join(', ')}`);
    }
    return cpuSeconds() - before;
  };
}

/**
 * wrk over 64 keep-alive connections, without session ids, or on a server that keeps sessions
 * each connection on a session of its own; its CPU is its own process's.
 */
function wrkRounds(callers: readonly Caller[], timing: Timing): Load {
  return {
    generator: 'wrk',
    round: async (server, configuration) => {
      const sessions = configuration.sessions ? await openSessions(server.url, callers) : null;
      try {
        const calling = sessions?.callers ?? callers;
        await wrkLoad(server.url, calling, CONNECTIONS, timing.warmupS);
        const serverCpu = serverCpuFrom(server, configuration);
        const result = await wrkLoad(server.url, calling, CONNECTIONS, timing.durationS);
        const serverCpuSeconds = serverCpu();
        const failed = result.badStatus + result.socketErrors + result.notCacheHits;
        if (failed > 0) throw new Error(`bench: wrk against ${configuration.command}: ${failed} of ${result.requests} calls were not cache hits (${JSON.stringify(result)})`);
        return {
          calls: result.requests,
          seconds: result.seconds,
          latency: { n: result.requests, p50: result.p50, p90: result.p90, p99: result.p99, max: result.max, mean: result.mean },
          serverCpuSeconds,
          loadCpuSeconds: result.cpuSeconds,
        };
      } finally {
        await sessions?.close();
      }
    },
  };
}

/** A session of its own for each caller, opened by an SDK client, and the callers with their session ids. */
async function openSessions(url: string, callers: readonly Caller[]): Promise<{ callers: WrkCaller[]; close: () => Promise<void> }> {
  const clients: Client[] = [];
  const close = async () => void (await Promise.allSettled(clients.map((client) => client.close())));
  try {
    const withSessions: WrkCaller[] = [];
    for (const caller of callers) {
      const client = await connectHttp(url, caller.key);
      clients.push(client);
      withSessions.push({ key: caller.key, sessionId: sessionIdOf(client), message: caller.message });
    }
    return { callers: withSessions, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** 64 MCP SDK clients in this process, each POST on its own; their CPU is this process's. */
function sdkClientRounds(callers: readonly Caller[], questionsOf: (user: string) => string[], timing: Timing): Load {
  return {
    generator: 'MCP SDK clients',
    round: async (server, configuration) => {
      const clients: { client: Client; user: string }[] = [];
      try {
        for (const { user, key } of callers) clients.push({ client: await connectHttp(server.url, key), user });
        await closedLoop(clients, questionsOf, timing.warmupS * 1000);
        const serverCpu = serverCpuFrom(server, configuration);
        const loadCpuBefore = process.cpuUsage();
        const started = performance.now();
        const samples = await closedLoop(clients, questionsOf, timing.durationS * 1000);
        const seconds = (performance.now() - started) / 1000;
        const serverCpuSeconds = serverCpu();
        const loadCpu = process.cpuUsage(loadCpuBefore);
        return { calls: samples.length, seconds, latency: summarizeLatencies(samples), serverCpuSeconds, loadCpuSeconds: (loadCpu.user + loadCpu.system) / 1e6 };
      } finally {
        await Promise.allSettled(clients.map(({ client }) => client.close()));
      }
    },
  };
}

/** A configuration's row: the median of each figure over its rounds; beside one process's calls/s, the ratio to it. */
function row(
  configuration: Configuration,
  rounds: readonly Round[],
  common: { kind: BenchRun['database']; users: number; timing: Timing; generator: Load['generator'] },
  oneProcessCallsPerSecond: number | null,
): BenchRun {
  const { timing, generator } = common;
  const perSecond = rounds.map((round) => round.calls / round.seconds);
  const callsPerSecond = medianCallsPerSecond(rounds);
  const serverCpuPercent = Math.round(median(rounds.map((round) => (round.serverCpuSeconds / round.seconds) * 100)));
  const serverCpuMsPerCall = Number(median(rounds.map((round) => (round.serverCpuSeconds * 1000) / round.calls)).toFixed(3));
  const loadCpuPercent = Math.round(median(rounds.map((round) => (round.loadCpuSeconds / round.seconds) * 100)));
  const ratio = oneProcessCallsPerSecond === null ? null : Number((callsPerSecond / oneProcessCallsPerSecond).toFixed(2));
  const latency = (key: keyof Omit<LatencySummary, 'n'>) => Number(median(rounds.map((round) => round.latency[key])).toFixed(4));
  const byRound = perSecond.map((value) => Math.round(value).toLocaleString('en-US')).join(', ');
  return {
    section: 'workers',
    what: `orchestrate_smart_context, cache hits: ${configuration.label} (${configuration.command})`,
    database: common.kind,
    transport: 'http',
    params: {
      server: configuration.command,
      processes: configuration.processes,
      sessions: configuration.sessions,
      connections: CONNECTIONS,
      users: common.users,
      loadGenerator: generator,
      rounds: timing.rounds,
      durationS: timing.durationS,
      warmupS: timing.warmupS,
      order: 'one process without sessions, the workers and one process with sessions in turn, forwards then backwards; a server started for each round',
    },
    setting: `${CONNECTIONS} connections from ${generator}, median of ${timing.rounds} rounds of ${timing.durationS} s after ${timing.warmupS} s warm-up`,
    n: rounds.reduce((sum, round) => sum + round.calls, 0),
    p50: latency('p50'),
    p90: latency('p90'),
    p99: latency('p99'),
    max: latency('max'),
    mean: latency('mean'),
    figures: {
      callsPerSecond,
      callsPerSecondByRound: byRound,
      serverCpuPercent,
      serverCpuMsPerCall,
      loadCpuPercent,
      ...(ratio === null ? {} : { callsPerSecondRatioToOneProcess: ratio }),
    },
    summary:
      `${callsPerSecond.toLocaleString('en-US')} calls/s (rounds ${byRound})${ratio === null ? '' : `, ${ratio}× one process's`}; ` +
      `server CPU ${serverCpuPercent}%${configuration.processes === 1 ? '' : ` over its ${configuration.processes} processes`}, ${serverCpuMsPerCall} ms per call; ` +
      `${generator === 'wrk' ? 'wrk' : 'clients'} CPU ${loadCpuPercent}%`,
    targets: [],
  };
}

function medianCallsPerSecond(rounds: readonly Round[]): number {
  return Math.round(median(rounds.map((round) => round.calls / round.seconds)));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
