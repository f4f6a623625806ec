import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { readOwner } from '../../src/db/local-sharing/owner-election.js';
import { atMost } from '../support/at-most.js';
import type { BenchRun } from '../support/bench-run.js';
import { childEnv } from '../support/child-env.js';
import { CLI_PATH } from '../support/cli-path.js';
import { expectSource } from '../support/expect-source.js';
import { summarizeLatencies } from '../support/latency-summary.js';
import { processMemory } from '../support/process-memory.js';
import { repeatPaired } from '../support/repeat-paired.js';
import { repoPath } from '../support/repo-path.js';
import { trackChild } from '../support/running-children.js';
import { callSmartContext } from '../support/smart-context-call.js';
import { stderrTail } from '../support/stderr-tail.js';
import { connectStdio, type StdioConnection } from '../support/stdio-connection.js';
import { timeMs } from '../support/time-ms.js';
import { waitUntil } from '../support/wait-until.js';
import { withTimeout } from '../support/with-timeout.js';
import type { Section, SectionContext } from './section.js';

/** How long a process sits after start-up before its idle RSS is read (as in the hit section). */
const SETTLE_MS = 1_000;
/**
 * How long both processes are then left alone before their RSS is read again: a serving process
 * gives memory back once it has been idle for two of its 5 s checks (`trimHeapWhenIdle`).
 */
const REST_MS = 17_000;
const BARE_PGLITE = repoPath('bench', 'sharing', 'bare-pglite.js');
/** What bin/narrative-mcp.js sets for the server's V8, so that the bare process's heap grows alike. */
const SERVER_V8_FLAGS = ['--heap-growing-percent=50'];
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const TAKEOVER_TIMEOUT_MS = 60_000;
const TAKEOVER_RETRY_MS = 5;
/** The user the writes go to, so that the fixture's users stay as they are. */
const WRITER = 'bench-writer';

type Role = 'owner' | 'guest';

interface PairedCounts {
  pairs: number;
  warmup: number;
}

/**
 * Section 9: several local processes on one embedded data directory (PGlite only). The first
 * `serve --stdio` owns the directory and serves its database over a Unix socket; a second one is
 * its guest. Their idle RSS against PGlite alone on the same directory; the same calls through
 * owner and guest in alternation: cache hits and `search_memories` (both answered from each
 * process's hot tier), `list_memories` and `add_memories` (which reach the database, a guest's
 * through the owner); and how long a guest takes to serve again once its owner is SIGKILLed.
 */
export const sharingSection: Section = {
  name: 'sharing',
  title: 'Sharing one embedded data directory: an owner and its guest',
  async run(context) {
    if (context.kind !== 'pglite') return [];
    const fixture = await context.fixture();
    const database = await context.database();
    const dataDir = database.env.NARRATIVE_DATA_DIR;
    if (!dataDir) throw new Error('bench: the PGlite bench database names no NARRATIVE_DATA_DIR');
    const user = fixture.hitUser;
    const messages = fixture.data.questionsOf(user);
    const message = (index: number) => messages[index % messages.length]!;
    const reads: PairedCounts = context.full ? { pairs: 20_000, warmup: 1_000 } : { pairs: 2_000, warmup: 200 };
    const queries: PairedCounts = context.full ? { pairs: 5_000, warmup: 200 } : { pairs: 500, warmup: 50 };
    const writes: PairedCounts = context.full ? { pairs: 2_000, warmup: 100 } : { pairs: 200, warmup: 20 };
    const takeoverRounds = context.full ? 10 : 3;
    const servers = serversOn(dataDir, database.env);
    const runs: BenchRun[] = [];
    try {
      context.log('idle RSS: PGlite alone on the data directory, then an owner and its guest');
      const current = await readOwner(dataDir);
      if (current.alive) throw new Error(`bench: process ${current.record.pid} owns ${dataDir}; PGlite alone must not open it beside an owner`);
      const bare = await barePglite(dataDir);
      const hitOwner = await servers.start(user, 'owner');
      await settle();
      const ownerMb = idleRssMb(hitOwner.pid);
      const hitGuest = await servers.start(user, 'guest');
      await settle();
      const guestMb = idleRssMb(hitGuest.pid);
      const ownerWithGuestMb = idleRssMb(hitOwner.pid);
      await new Promise((resolve) => setTimeout(resolve, REST_MS));
      runs.push(
        idleRow(user, { bareMb: bare.rssMb, ownerMb, guestMb, ownerWithGuestMb, ownerAtRestMb: idleRssMb(hitOwner.pid), guestAtRestMb: idleRssMb(hitGuest.pid) }),
      );

      context.log('cache hits, search_memories and list_memories through the owner and the guest, alternated');
      const hit = async (client: Client, index: number) => {
        const { ms, answer } = await callSmartContext(client, message(index));
        expectSource('hit through the owner or a guest', answer, ['cache']);
        return ms;
      };
      const search = async (client: Client, index: number) => (await callTool(client, 'search_memories', { query: message(index), limit: 10 })).ms;
      const list = async (client: Client) => (await callTool(client, 'list_memories', { limit: 20 })).ms;
      runs.push(...(await ownerAndGuest('orchestrate_smart_context, cache hit', hitOwner, hitGuest, reads, hit, { user })));
      runs.push(...(await ownerAndGuest('search_memories, a question of the user', hitOwner, hitGuest, queries, search, { user, limit: 10 })));
      runs.push(...(await ownerAndGuest('list_memories, newest 20', hitOwner, hitGuest, queries, list, { user, limit: 20 })));
      await servers.stop(hitGuest);
      await servers.stop(hitOwner);

      context.log(`add_memories through a new owner and guest, for ${WRITER}, alternated`);
      const writerOwner = await servers.start(WRITER, 'owner');
      const writerGuest = await servers.start(WRITER, 'guest');
      runs.push(...(await ownerAndGuest('add_memories, one new memory', writerOwner, writerGuest, writes, addMemory, { user: WRITER })));

      context.log(`takeover: the owner SIGKILLed, ${takeoverRounds} times`);
      runs.push(await takeovers(context, servers, takeoverRounds, { owner: writerOwner, guest: writerGuest, bareReadyMs: bare.readyMs }));
    } catch (error) {
      throw new Error(`${String(error)}\n${servers.stderr()}`, { cause: error });
    } finally {
      await servers.stopAll();
    }
    return runs;
  },
};

/** The `serve --stdio` processes started on the data directory, each checked to have the role expected of it. */
function serversOn(dataDir: string, env: Readonly<Record<string, string>>) {
  const running: StdioConnection[] = [];
  const started: { server: StdioConnection; user: string; role: Role }[] = [];
  const stop = async (server: StdioConnection) => {
    const index = running.indexOf(server);
    if (index >= 0) running.splice(index, 1);
    await server.close();
  };
  return {
    start: async (user: string, role: Role): Promise<StdioConnection> => {
      const server = await connectStdio(process.execPath, [CLI_PATH, 'serve', '--stdio', '--user', user], env);
      running.push(server);
      started.push({ server, user, role });
      await expectRole(dataDir, server, role);
      return server;
    },
    expectRole: (server: StdioConnection, role: Role) => expectRole(dataDir, server, role),
    stop,
    /** What each server started wrote to standard error last, for a failure's message. */
    stderr: () =>
      started.map(({ server, user, role }) => `serve --stdio --user ${user} (pid ${server.pid}, started as ${role}) stderr:\n${server.stderr()}`).join('\n'),
    /** The latest started first: guests before their owner, so that none takes the directory over on the way out. */
    stopAll: async () => {
      for (const server of [...running].reverse()) await stop(server);
    },
  };
}

type Servers = ReturnType<typeof serversOn>;

async function expectRole(dataDir: string, server: StdioConnection, role: Role): Promise<void> {
  const owner = await readOwner(dataDir);
  const ownerPid = owner.alive ? owner.record.pid : null;
  const isRole = role === 'owner' ? ownerPid === server.pid : ownerPid !== null && ownerPid !== server.pid;
  if (!isRole) {
    throw new Error(`bench: process ${server.pid} should be the ${role} of ${dataDir}, but ${ownerPid === null ? 'no process' : `process ${ownerPid}`} owns it`);
  }
}

/**
 * `node bench/sharing/bare-pglite.js` on the directory: how long it took from its start to its
 * first query's answer, and its RSS once settled. Stopped before this returns.
 */
async function barePglite(dataDir: string): Promise<{ readyMs: number; rssMb: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...SERVER_V8_FLAGS, BARE_PGLITE, dataDir], { env: childEnv({}), stdio: ['pipe', 'pipe', 'pipe'] });
  trackChild(child);
  const stderr = stderrTail(child.stderr);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (chunk.includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited with code ${code}`)));
  });
  try {
    await withTimeout(ready, START_TIMEOUT_MS, 'PGlite alone opening the data directory').catch((error: unknown) => {
      throw new Error(`bench: ${BARE_PGLITE} did not start: ${String(error)}\n${stderr()}`, { cause: error });
    });
    const readyMs = round1(performance.now() - started);
    await settle();
    return { readyMs, rssMb: idleRssMb(child.pid!) };
  } finally {
    // Ending its input closes the database: the servers that come next open the same directory.
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
}

function idleRssMb(pid: number): number {
  const memory = processMemory(pid);
  if (!memory) throw new Error(`bench: process ${pid} has ended; it has no RSS to read`);
  return memory.rssMb;
}

interface IdleRss {
  bareMb: number;
  ownerMb: number;
  guestMb: number;
  ownerWithGuestMb: number;
  /** Both read again once left alone for REST_MS. */
  ownerAtRestMb: number;
  guestAtRestMb: number;
}

function idleRow(user: string, rss: IdleRss): BenchRun {
  const ownerMinusBareMb = rss.ownerMb - rss.bareMb;
  return {
    section: 'sharing',
    what: 'idle RSS: PGlite alone, an owner, its guest',
    database: 'pglite',
    transport: 'stdio',
    params: {
      user,
      settleMs: SETTLE_MS,
      restMs: REST_MS,
      bare: 'node bench/sharing/bare-pglite.js',
      server: 'serve --stdio',
      order: 'bare PGlite (stopped), owner, guest, then both at rest',
    },
    setting: `RSS ${SETTLE_MS / 1000} s after each start, then after ${REST_MS / 1000} s left alone`,
    figures: {
      bareRssMb: rss.bareMb,
      ownerRssMb: rss.ownerMb,
      guestRssMb: rss.guestMb,
      ownerMinusBareMb,
      ownerRssWithGuestMb: rss.ownerWithGuestMb,
      ownerRssAtRestMb: rss.ownerAtRestMb,
      guestRssAtRestMb: rss.guestAtRestMb,
    },
    summary:
      `PGlite alone ${rss.bareMb} MB, owner ${rss.ownerMb} MB (+${ownerMinusBareMb}; ${rss.ownerWithGuestMb} once its guest runs), guest ${rss.guestMb} MB; ` +
      `at rest, owner ${rss.ownerAtRestMb} MB and guest ${rss.guestAtRestMb} MB`,
    targets: [atMost('owner RSS − bare PGlite', ownerMinusBareMb, 60, 'MB'), atMost('guest RSS at rest', rss.guestAtRestMb, 80, 'MB')],
  };
}

/** The same call through the owner and the guest, alternated as repeatPaired does: a row for each, the guest's with the ratios to the owner. */
async function ownerAndGuest(
  what: string,
  owner: StdioConnection,
  guest: StdioConnection,
  counts: PairedCounts,
  call: (client: Client, index: number) => Promise<number>,
  params: Record<string, string | number>,
): Promise<BenchRun[]> {
  const samples = await repeatPaired(counts.warmup, counts.pairs, {
    ours: (index) => call(owner.client, index),
    theirs: (index) => call(guest.client, index),
  });
  const ownerLatency = summarizeLatencies(samples.ours);
  const guestLatency = summarizeLatencies(samples.theirs);
  const p50Ratio = round(guestLatency.p50 / ownerLatency.p50);
  const p99Ratio = round(guestLatency.p99 / ownerLatency.p99);
  const setting = `${counts.pairs.toLocaleString('en-US')} pairs after ${counts.warmup} warm-up, owner and guest alternated`;
  const row = (role: Role) => ({
    section: 'sharing' as const,
    what: `${role}: ${what}`,
    database: 'pglite' as const,
    transport: 'stdio' as const,
    params: { ...params, role, ...counts, order: 'owner and guest alternated', client: 'MCP SDK Client' },
    setting,
  });
  return [
    { ...row('owner'), ...ownerLatency, figures: {}, summary: '', targets: [] },
    {
      ...row('guest'),
      ...guestLatency,
      figures: { p50RatioToOwner: p50Ratio, p99RatioToOwner: p99Ratio },
      summary: `guest / owner: p50s ${p50Ratio}, p99s ${p99Ratio}`,
      targets: [],
    },
  ];
}

/**
 * Kills the owner with SIGKILL and times from the signal until its guest's next `add_memories`
 * succeeds (calls that fail on the way are retried at once); the guest, now the owner, gets a
 * new guest for the next round. Beside it, for scale, how long PGlite alone took to open the
 * directory, node's start included.
 */
async function takeovers(
  context: SectionContext,
  servers: Servers,
  rounds: number,
  first: { owner: StdioConnection; guest: StdioConnection; bareReadyMs: number },
): Promise<BenchRun> {
  let { owner, guest } = first;
  const samples: number[] = [];
  let failedCalls = 0;
  for (let round = 0; round < rounds; round += 1) {
    if (round > 0) {
      owner = guest;
      guest = await servers.start(WRITER, 'guest');
    }
    await addMemory(guest.client);
    const killed = owner;
    const survivor = guest;
    const { ms } = await timeMs(async () => {
      process.kill(killed.pid, 'SIGKILL');
      await waitUntil(
        "the guest's add_memories once its owner was killed",
        async () => {
          try {
            await addMemory(survivor.client);
            return true;
          } catch {
            failedCalls += 1;
            return undefined;
          }
        },
        TAKEOVER_TIMEOUT_MS,
        TAKEOVER_RETRY_MS,
      );
    });
    await servers.stop(killed);
    await servers.expectRole(survivor, 'owner');
    samples.push(round1(ms));
    context.log(`takeover ${round + 1}: ${round1(ms)} ms`);
  }
  return {
    section: 'sharing',
    what: "takeover: the owner SIGKILLed, until its guest's next add_memories succeeds",
    database: 'pglite',
    transport: 'stdio',
    params: { user: WRITER, rounds, retryMs: TAKEOVER_RETRY_MS, between: 'a new guest started' },
    setting: `${rounds} rounds, a new guest each`,
    ...summarizeLatencies(samples),
    figures: { takeoverMs: samples.join(', '), failedCallsBeforeSuccess: failedCalls, barePgliteReadyMs: first.bareReadyMs },
    summary:
      `each: ${samples.map((ms) => ms.toLocaleString('en-US')).join(', ')} ms; ${failedCalls} calls failed on the way; ` +
      `PGlite alone opened the directory in ${first.bareReadyMs.toLocaleString('en-US')} ms`,
    targets: [],
  };
}

/** Adds one memory no one has said before; its time in ms. */
async function addMemory(client: Client): Promise<number> {
  const { ms, value } = await callTool(client, 'add_memories', { memories: [{ content: `The bench wrote note ${randomUUID()}.` }] });
  const added = (value.structuredContent as { added?: unknown[] } | undefined)?.added?.length;
  if (added !== 1) throw new Error(`bench: add_memories stored ${added} memories instead of one`);
  return ms;
}

/** One tool call through an MCP client, timed from request to parsed answer; an error answer throws. */
async function callTool(client: Client, name: string, args: Record<string, unknown>): Promise<{ ms: number; value: CallToolResult }> {
  const { ms, value } = await timeMs(async () => (await client.callTool({ name, arguments: args })) as CallToolResult);
  if (value.isError) {
    const text = value.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');
    throw new Error(`bench: ${name} failed: ${text}`);
  }
  return { ms, value };
}

function round(value: number): number {
  return Number(value.toFixed(3));
}

function round1(ms: number): number {
  return Number(ms.toFixed(1));
}
