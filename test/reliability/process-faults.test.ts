import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.js';
import { CLI_PATH, cliEnvironment, runCli } from '../support/cli.js';
import { runCliInProcess } from '../support/in-process-cli.js';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini-server.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const BUILT = existsSync(join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'main.js'));
if (!BUILT) console.warn('process-faults: skipped, the CLI is not built (run `npm run build`)');

/** Short, so a killed process's users are taken over within the test. */
const LEASE_SECONDS = 3;
const USER_IN_PROMPT = /\b(?:local|bf-user-\d+)\b/;
/** A narrative the fake writes: it names its user and ends with a mark, so a cut-off copy is easy to see. */
const narrativeFor = (user: string, edition: string) => `${edition} narrative of ${user}. ${'Every sentence of it matters. '.repeat(40)}END-${edition}`;

interface Stored {
  user: string;
  version: number;
  content: string;
}

/** What the database holds once the killed process is gone (opening it also proves it can be opened). */
async function storedNarratives(env: Record<string, string>): Promise<{ narratives: Stored[]; memories: number }> {
  const handle = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.NARRATIVE_DATA_DIR ?? '', poolSize: 1 });
  try {
    const rows = await handle.db
      .selectFrom('user_narratives')
      .innerJoin('users', 'users.id', 'user_narratives.user_id')
      .select(['users.external_id as user', 'user_narratives.version', 'user_narratives.narrative_content as content'])
      .orderBy('users.external_id')
      .execute();
    const memories = await handle.db.selectFrom('memories').select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow();
    return { narratives: rows, memories: Number(memories.count) };
  } finally {
    await handle.close();
  }
}

/**
 * Waits until the leases of a killed process's generations have run out: nothing gives them back,
 * so its users wait for `LEASE_SECONDS` of real time (the processes' clock) before another
 * process takes them over.
 */
async function untilLeasesRunOut(env: Record<string, string>): Promise<void> {
  const handle = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.NARRATIVE_DATA_DIR ?? '', poolSize: 1 });
  try {
    const running = () => handle.db.selectFrom('narrative_generation_state').select('user_id').where('lease_expires_at', '>', new Date()).execute();
    await until(async () => (await running()).length === 0, 4 * LEASE_SECONDS * 1_000);
  } finally {
    await handle.close();
  }
}

function expectWhole(narrative: Stored, editions: readonly string[]): string {
  const edition = editions.find((candidate) => narrative.content === narrativeFor(narrative.user, candidate));
  expect(edition, `${narrative.user} v${narrative.version} is not one whole narrative: ${narrative.content.slice(-60)}`).toBeDefined();
  return edition!;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  const [, signal] = await exited;
  expect(signal).toBe('SIGKILL');
}

describe.skipIf(!BUILT).each(DATABASES)('process faults on %s', (kind) => {
  let fake: FakeGemini;
  let kills = 0;

  beforeAll(async () => {
    fake = await startFakeGemini({ apiKey: 'test-key' });
    fake.respondWith((request) => narrativeFor(USER_IN_PROMPT.exec(request.prompt)?.[0] ?? 'nobody', 'first'));
  });
  afterAll(async () => {
    console.info(`process-faults on ${kind}: ${kills} SIGKILLs`);
    await fake.close();
  });

  async function environment(): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
    const created = await cliEnvironment(kind, { migrated: true });
    return { env: { ...created.env, GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: fake.url, LLM_MAX_RETRIES: '0', LOG_LEVEL: 'warn', NARRATIVE_LEASE_SECONDS: String(LEASE_SECONDS) }, cleanup: created.cleanup };
  }

  /** `serve --http` as an operator runs it; resolves once it listens, with its URL and (on a fresh database) its first key. */
  async function serve(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; key: string | undefined; stderr: () => string }> {
    const child = spawn(process.execPath, [CLI_PATH, 'serve', '--http', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await until(() => /listening on (http:\S+)/.test(stderr) || child.exitCode !== null, 60_000);
    expect(child.exitCode, stderr).toBeNull();
    const url = /listening on (http:\S+)/.exec(stderr)![1]!;
    const key = /got this one[^\n]*\n\s*(nmcp_\S+)/.exec(stderr)?.[1];
    return { child, url, key, stderr: () => stderr };
  }

  it('leaves no half-written narrative when killed while writing one, and writes it on restart', { timeout: 180_000 }, async () => {
    const { env, cleanup } = await environment();
    try {
      const first = await serve(env);
      const key = first.key!;
      const api = (url: string, path: string, init: RequestInit = {}) =>
        fetch(`${url}${path}`, { ...init, headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' } });
      const facts = ['climbs sea cliffs', 'keeps chickens', 'writes crosswords', 'speaks Basque', 'fixes pianos', 'sails a dinghy'];
      const added = await api(first.url, '/api/v1/memories', { method: 'POST', body: JSON.stringify({ memories: facts.map((fact) => ({ content: `The local user ${fact}.` })) }) });
      expect(added.status).toBe(201);

      // Killed while Gemini is still writing the first narrative.
      const release = fake.hold();
      expect((await api(first.url, '/api/v1/memories/narrative')).status).toBe(204);
      await until(() => fake.held >= 1, 30_000);
      await kill(first.child);
      kills += 1;
      release();
      expect(await storedNarratives(env)).toEqual({ narratives: [], memories: 6 });
      await untilLeasesRunOut(env);

      let server = await serve(env);
      // The embedded database belongs to the running server: while it runs, it is read through the API.
      const served = async (): Promise<Stored | undefined> => {
        const response = await api(server.url, '/api/v1/memories/narrative');
        if (response.status === 204) return undefined;
        const body = (await response.json()) as { narrative: string; version: number };
        return { user: 'local', version: body.version, content: body.narrative };
      };
      expect(await served()).toBeUndefined();
      await until(async () => (await served()) !== undefined, 60_000);
      const written = (await served())!;
      expect(written.version).toBe(1);
      expectWhole(written, ['first']);

      // Killed as the answer of a regeneration arrives: either the old version stays whole, or the new one is there whole.
      fake.respondWith(() => narrativeFor('local', 'second'));
      const calls = fake.calls;
      expect((await api(server.url, '/api/v1/memories/narrative/regenerate', { method: 'POST' })).status).toBe(202);
      await until(() => fake.calls > calls, 30_000);
      await kill(server.child);
      kills += 1;
      const after = (await storedNarratives(env)).narratives;
      expect(after).toHaveLength(1);
      expect([1, 2]).toContain(after[0]!.version);
      expect(expectWhole(after[0]!, ['first', 'second'])).toBe(after[0]!.version === 1 ? 'first' : 'second');
      await untilLeasesRunOut(env);

      // Work resumes on restart: the next regeneration raises the version by exactly one.
      server = await serve(env);
      expect((await api(server.url, '/api/v1/memories/narrative/regenerate', { method: 'POST' })).status).toBe(202);
      await until(async () => (await served())?.version === after[0]!.version + 1, 60_000);
      expectWhole((await served())!, ['second']);
      server.child.kill('SIGTERM');
      await once(server.child, 'exit');
    } finally {
      fake.respondWith((request) => narrativeFor(USER_IN_PROMPT.exec(request.prompt)?.[0] ?? 'nobody', 'first'));
      await cleanup();
    }
  });

  it('resumes a backfill killed mid-run without writing any narrative twice or in part', { timeout: 180_000 }, async () => {
    const { env, cleanup } = await environment();
    const dir = await mkdtemp(join(tmpdir(), 'narrative-mcp-backfill-kill-'));
    try {
      const users = Array.from({ length: 8 }, (_, index) => `bf-user-${index + 1}`);
      const lines = users.flatMap((user) =>
        ['rows', 'knits', 'brews cider', 'collects maps', 'grows chillies', 'teaches yoga'].map((fact) => JSON.stringify({ user, content: `${user} ${fact}.` })),
      );
      const file = join(dir, 'memories.jsonl');
      await writeFile(file, `${lines.join('\n')}\n`);
      expect((await runCliInProcess(['import', file], env)).code).toBe(0);

      // Three narratives are answered, then Gemini stops answering: the run is killed with two users in flight.
      let served = 0;
      const stopHanging = fake.failWhen(() => ++served > 3, { kind: 'hang' });
      const calls = fake.calls;
      const run = spawn(process.execPath, [CLI_PATH, 'backfill', '--concurrency', '2'], { env, stdio: 'ignore' });
      try {
        await until(() => fake.calls >= calls + 5, 60_000);
        await kill(run);
        kills += 1;
      } finally {
        stopHanging();
      }
      const interrupted = (await storedNarratives(env)).narratives;
      expect(interrupted).toHaveLength(3);
      for (const narrative of interrupted) {
        expect(narrative.version).toBe(1);
        expectWhole(narrative, ['first']);
      }
      await untilLeasesRunOut(env);

      const resumed = await runCli(['backfill', '--concurrency', '2'], env);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/8 eligible, 5 generated, 3 skipped \(3 fresh\), 0 failed/);
      const finished = await storedNarratives(env);
      expect(finished.memories).toBe(48);
      expect(finished.narratives.map((narrative) => narrative.user)).toEqual([...users].sort());
      for (const narrative of finished.narratives) {
        expect(narrative.version).toBe(1);
        expectWhole(narrative, ['first']);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
      await cleanup();
    }
  });
});
