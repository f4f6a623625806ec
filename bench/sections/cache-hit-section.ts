import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { atMost } from '../support/at-most.js';
import type { BenchRun } from '../support/bench-run.js';
import { CLI_PATH } from '../support/cli-path.js';
import { closeBenchApp } from '../support/close-bench-app.js';
import { expectSource } from '../support/expect-source.js';
import { compareWithFloor } from '../support/floor-comparison.js';
import { connectHttp } from '../support/http-connection.js';
import { startHttpServerProcess, type HttpServerProcess } from '../support/http-server-process.js';
import { summarizeLatencies } from '../support/latency-summary.js';
import { openBenchApp } from '../support/open-bench-app.js';
import { processCpuSeconds } from '../support/process-cpu-seconds.js';
import { processMemory } from '../support/process-memory.js';
import { repeatPaired } from '../support/repeat-paired.js';
import { repeatTimed } from '../support/repeat-timed.js';
import { repoPath } from '../support/repo-path.js';
import { sampleRss, type RssSampler } from '../support/rss-sampler.js';
import { callSmartContext, type SmartContextAnswer } from '../support/smart-context-call.js';
import { connectStdio, type StdioConnection } from '../support/stdio-connection.js';
import { timeMs } from '../support/time-ms.js';
import type { Section, SectionContext } from './section.js';

const WHAT = 'orchestrate_smart_context, cache hit';
/** How long a server sits after start-up before its idle RSS is read. */
const SETTLE_MS = 1_000;
/** Node's arguments that run the protocol floor (TypeScript, through tsx, as the bench itself runs). */
const FLOOR_SERVER = ['--import', import.meta.resolve('tsx'), repoPath('bench', 'floor', 'floor-server.ts')];

/**
 * Section 1: one client, one call at a time, for a LoCoMo user with a fresh narrative: the engine
 * call in this process, then the real server over stdio and over Streamable HTTP, each called in
 * alternation with the protocol floor (bench/floor/floor-server.ts: the MCP SDK with our tools,
 * sending back one of our hit answers and doing nothing else) on the same transport.
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

    const dir = await mkdtemp(join(tmpdir(), 'narrative-mcp-bench-floor-'));
    try {
      context.log('over stdio, alternating with the protocol floor');
      const stdio = await connectStdio(process.execPath, [CLI_PATH, 'serve', '--stdio', '--user', user], database.env);
      let floorStdio: StdioConnection | undefined;
      let answerFile: string;
      try {
        answerFile = await captureHit(stdio.client, message(0), dir);
        floorStdio = await connectStdio(process.execPath, [...FLOOR_SERVER, '--answer', answerFile, '--stdio'], database.env);
        await expectSameSurface(stdio.client, floorStdio.client, answerFile, message(0));
        runs.push(...(await measureAgainstFloor(context, 'stdio', stdio, floorStdio, params, message)));
      } finally {
        await Promise.allSettled([stdio.close(), floorStdio?.close()]);
      }

      context.log('over Streamable HTTP, alternating with the protocol floor');
      const key = await fixture.keyFor(user);
      const floorKey = randomUUID();
      const server = await startHttpServerProcess({ ...database.env, HTTP_RATE_LIMIT_PER_MINUTE: '1000000' });
      let floorServer: HttpServerProcess | undefined;
      try {
        floorServer = await startHttpServerProcess(database.env, [...FLOOR_SERVER, '--answer', answerFile, '--http', '--key', floorKey]);
        const client = await connectHttp(server.url, key);
        const floorClient = await connectHttp(floorServer.url, floorKey);
        try {
          await expectSameSurface(client, floorClient, answerFile, message(0));
          runs.push(...(await measureAgainstFloor(context, 'http', { client, pid: server.pid }, { client: floorClient, pid: floorServer.pid }, params, message)));
        } finally {
          await Promise.allSettled([client.close(), floorClient.close()]);
        }
      } catch (error) {
        throw new Error(`${String(error)}\nserver stderr:\n${server.stderr()}\nfloor stderr:\n${floorServer?.stderr() ?? ''}`, { cause: error });
      } finally {
        await Promise.allSettled([server.close(), floorServer?.close()]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return runs;
  },
};

/** A server process the MCP SDK client is connected to. */
interface ConnectedServer {
  client: Client;
  pid: number;
}

/** Our hit answer as our server sends it, saved for the floor to send back (the file's path). */
async function captureHit(client: Client, message: string, dir: string): Promise<string> {
  const result = (await client.callTool({ name: 'orchestrate_smart_context', arguments: { user_message: message } })) as CallToolResult;
  expectSource('captured hit', result.structuredContent as unknown as SmartContextAnswer, ['cache']);
  const file = join(dir, 'hit-answer.json');
  await writeFile(file, JSON.stringify(result));
  return file;
}

/** The floor must list the same tools and send the captured answer byte for byte, or the ratio would compare unlike things. */
async function expectSameSurface(ours: Client, floor: Client, answerFile: string, message: string): Promise<void> {
  const [ourTools, floorTools] = await Promise.all([ours.listTools(), floor.listTools()]);
  if (JSON.stringify(ourTools) !== JSON.stringify(floorTools)) {
    throw new Error('bench: the floor server lists other tools or schemas than ours; the floor would not be one');
  }
  const floorAnswer = await floor.callTool({ name: 'orchestrate_smart_context', arguments: { user_message: message } });
  if (JSON.stringify(floorAnswer) !== (await readFile(answerFile, 'utf8'))) {
    throw new Error('bench: the floor server did not send back the captured answer byte for byte');
  }
}

/**
 * Our server and the floor, called in alternation (which goes first alternates too), one call at a
 * time: our row, the floor's row and the ratios, with each server's CPU over the measured calls.
 */
async function measureAgainstFloor(
  context: SectionContext,
  transport: 'stdio' | 'http',
  ours: ConnectedServer,
  floor: ConnectedServer,
  params: { calls: number; warmup: number } & Record<string, string | number>,
  message: (index: number) => string,
): Promise<BenchRun[]> {
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const idleRssMb = processMemory(ours.pid)?.rssMb ?? NaN;
  const floorIdleRssMb = processMemory(floor.pid)?.rssMb ?? NaN;
  let rss: { ours: RssSampler; floor: RssSampler } | undefined;
  let cpuBefore = { ours: 0, floor: 0 };
  let answerBytes = 0;
  const samples = await repeatPaired(
    params.warmup,
    params.calls,
    {
      ours: async (index) => {
        const { ms, answer } = await callSmartContext(ours.client, message(index));
        expectSource(`${transport} hit`, answer, ['cache']);
        return ms;
      },
      theirs: async (index) => {
        const { ms, answer } = await callSmartContext(floor.client, message(index));
        answerBytes = JSON.stringify(answer).length;
        return ms;
      },
    },
    () => {
      rss = { ours: sampleRss(ours.pid), floor: sampleRss(floor.pid) };
      cpuBefore = { ours: processCpuSeconds(ours.pid), floor: processCpuSeconds(floor.pid) };
    },
  );
  const cpuMsPerCall = (pid: number, before: number) => Number((((processCpuSeconds(pid) - before) * 1000) / params.calls).toFixed(4));
  const ourCpuMsPerCall = cpuMsPerCall(ours.pid, cpuBefore.ours);
  const floorCpuMsPerCall = cpuMsPerCall(floor.pid, cpuBefore.floor);
  const memory = rss!.ours.stop();
  const floorMemory = rss!.floor.stop();
  const latency = summarizeLatencies(samples.ours);
  const floorLatency = summarizeLatencies(samples.theirs);
  const comparison = compareWithFloor(transport, { ...latency, cpuMsPerCall: ourCpuMsPerCall }, { ...floorLatency, cpuMsPerCall: floorCpuMsPerCall });
  const paired = `${setting(params)}, alternating with the floor`;
  const pairedParams = { ...params, client: 'MCP SDK Client', order: 'alternating with the floor' };
  return [
    {
      section: 'hit',
      what: WHAT,
      database: context.kind,
      transport,
      params: { ...pairedParams, server: transport === 'stdio' ? 'serve --stdio' : 'serve --http' },
      setting: paired,
      ...latency,
      figures: { serverCpuMsPerCall: ourCpuMsPerCall, serverIdleRssMb: idleRssMb, serverPeakRssMb: memory.peakMb, serverLifetimePeakRssMb: memory.hwmMb },
      summary: `server CPU ${ourCpuMsPerCall} ms per call, RSS idle ${idleRssMb} MB, peak ${memory.peakMb} MB`,
      targets: [
        ...(transport === 'stdio' ? [atMost('p50', latency.p50, 0.3, 'ms'), atMost('p99', latency.p99, 1, 'ms')] : []),
        atMost('idle RSS', idleRssMb, 120, 'MB'),
      ],
    },
    {
      section: 'hit',
      what: 'protocol floor: the MCP SDK answering a captured hit',
      database: 'floor (no database)',
      transport,
      params: {
        ...pairedParams,
        server: `bench/floor/floor-server.ts --${transport}`,
        structuredContentBytes: answerBytes,
        pairedWith: context.kind,
      },
      setting: paired,
      ...floorLatency,
      figures: { serverCpuMsPerCall: floorCpuMsPerCall, serverIdleRssMb: floorIdleRssMb, serverPeakRssMb: floorMemory.peakMb },
      summary: `server CPU ${floorCpuMsPerCall} ms per call, RSS idle ${floorIdleRssMb} MB, peak ${floorMemory.peakMb} MB; structured content ${answerBytes.toLocaleString('en-US')} B of JSON`,
      targets: [],
    },
    {
      section: 'hit',
      what: 'ratio ours / floor',
      database: context.kind,
      transport,
      params: pairedParams,
      setting: paired,
      unit: 'ratio',
      figures: comparison.figures,
      summary: comparison.summary,
      targets: comparison.targets,
    },
  ];
}

function setting(params: { calls: number; warmup: number }): string {
  return `${params.calls.toLocaleString('en-US')} calls after ${params.warmup} warm-up, one at a time`;
}
