import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/open-database.js';
import { CLI_PATH, cliEnvironment } from '../support/cli.js';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini-server.js';
import { callTool } from '../support/mcp-test-client.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const NARRATIVE_MODEL = 'gemini-2.5-pro';
const ANALYSIS_MODEL = 'gemini-2.5-flash';
const CALLS_PER_CLIENT = 3;
const FACTS = [
  'The user is a marine biologist studying octopus cognition.',
  'The user lives on a houseboat in Amsterdam.',
  'The user has a daughter, Noor, who is seven.',
  'The user is learning to play the cello.',
  'The user is vegetarian and loves Ethiopian food.',
  'The user is writing a popular-science book about cephalopods.',
];

/** One `narrative-mcp serve --stdio` process, driven by the MCP SDK client as a chat client would. */
interface ServerProcess {
  client: Client;
  stderr: () => string;
}

async function startServer(env: Record<string, string>, name: string): Promise<ServerProcess> {
  let stderr = '';
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI_PATH, 'serve', '--stdio', '--user', 'shared'],
    env,
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const client = new Client({ name, version: '0.0.0' });
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

describe.each(DATABASES)('two serve --stdio processes sharing one database on %s', (kind) => {
  let fake: FakeGemini;
  let cleanup: () => Promise<void>;
  let database: DatabaseHandle;
  let servers: ServerProcess[] = [];

  const narrativeCalls = () => fake.requests.filter((request) => request.model === NARRATIVE_MODEL).length;
  const analysisCalls = () => fake.requests.filter((request) => request.model === ANALYSIS_MODEL).length;

  async function storedVersions(): Promise<number[]> {
    const rows = await database.db
      .selectFrom('user_narratives as n')
      .innerJoin('users as u', 'u.id', 'n.user_id')
      .select('n.version')
      .where('u.external_id', '=', 'shared')
      .execute();
    return rows.map((row) => row.version);
  }

  /** Each process's narrative job for the user, as `narrative_status` reports it. */
  async function jobStates(): Promise<string[]> {
    const statuses = await Promise.all(servers.map(({ client }) => callTool(client, 'narrative_status', {})));
    return statuses.map((status) => (status.structuredContent as { job: string }).job);
  }

  async function everyServerIdle(): Promise<void> {
    await until(async () => (await jobStates()).every((job) => job === 'idle'), 30_000);
  }

  function orchestrateFromBoth(message: string) {
    return Promise.all(
      servers.flatMap(({ client }) =>
        Array.from({ length: CALLS_PER_CLIENT }, () => callTool(client, 'orchestrate_smart_context', { user_message: message })),
      ),
    );
  }

  beforeAll(async () => {
    fake = await startFakeGemini({ apiKey: 'test-key' });
    const environment = await cliEnvironment(kind);
    cleanup = environment.cleanup;
    const env: Record<string, string> = {
      ...environment.env,
      GEMINI_API_KEY: 'test-key',
      GEMINI_BASE_URL: fake.url,
      // Real time here: the analysis calls wait on the held fake, and must not run out of budget meanwhile.
      DEEP_ANALYSIS_BUDGET_MS: '60000',
    };
    // Both start on an empty database at once, so both migrate concurrently.
    servers = await Promise.all([startServer(env, 'first'), startServer(env, 'second')]);
    // This process reads what they stored: on the embedded database, as a third process sharing it.
    database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.NARRATIVE_DATA_DIR ?? '', poolSize: 1 });
  });
  afterAll(async () => {
    await Promise.all(servers.map(({ client }) => client.close()));
    await database?.close();
    await fake?.close();
    await cleanup?.();
  });

  it('both migrate the empty database at start and serve the same user', async () => {
    const { rows: migrations } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(database.db);
    expect(migrations.length).toBeGreaterThan(0);
    expect(new Set(migrations.map((migration) => migration.name)).size).toBe(migrations.length);
    const users = await database.db.selectFrom('users').select('id').where('external_id', '=', 'shared').execute();
    expect(users).toHaveLength(1);
  });

  it('writes exactly one narrative when both processes miss it at the same time', async () => {
    const [first, second] = servers;
    const added = await callTool(first!.client, 'add_memories', { memories: FACTS.map((content) => ({ content })) });
    expect(added.structuredContent).toMatchObject({ total_memories: FACTS.length });

    const release = fake.hold();
    const answers = orchestrateFromBoth('Any ideas for a weekend with Noor?');
    // Released only once no job is still on its way: each running one is waiting in the fake, the others gave way.
    await until(async () => {
      // Each process's concurrent starts with one message share one analysis.
      if (analysisCalls() < servers.length || narrativeCalls() === 0) return false;
      const jobs = await jobStates();
      return !jobs.includes('queued') && jobs.filter((job) => job === 'running').length === narrativeCalls();
    }, 30_000);
    release();

    for (const answer of await answers) {
      expect(answer.isError).toBeFalsy();
      expect(answer.structuredContent).toMatchObject({ source: 'deep_analysis', generation_scheduled: true });
    }
    await everyServerIdle();
    expect(narrativeCalls()).toBe(1);
    expect(analysisCalls()).toBe(servers.length);
    expect(await storedVersions()).toEqual([1]);

    const cached = await callTool(second!.client, 'orchestrate_smart_context', { user_message: 'cello practice tips' });
    expect(cached.structuredContent).toMatchObject({ source: 'cache', narrative: { version: 1, stale: false } });
  });

  it('writes one more version when one process is asked to regenerate while both serve the cached one', async () => {
    const [first] = servers;
    const release = fake.hold();
    let answered = false;
    const regenerated = callTool(first!.client, 'regenerate_narrative', { wait: true }).finally(() => (answered = true));
    const answers = orchestrateFromBoth('What should I cook tonight?');
    await until(() => narrativeCalls() === 2 || answered, 30_000);
    release();

    expect((await regenerated).structuredContent).toMatchObject({ state: 'completed', version: 2 });
    for (const answer of await answers) expect(answer.structuredContent).toMatchObject({ source: 'cache' });
    await everyServerIdle();
    expect(narrativeCalls()).toBe(2);
    expect(analysisCalls()).toBe(servers.length);
    expect(await storedVersions()).toEqual([2]);
    for (const server of servers) expect(server.stderr()).not.toMatch(/"level":(50|60)/);
  });
});
