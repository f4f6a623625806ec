import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, runCli } from '../support/cli.js';
import { runCliInProcess } from '../support/in-process-cli.js';
import { DATABASES } from '../support/test-databases.js';

const FACTS = [
  'Lena restores stained glass windows.',
  'Lena has a daughter called Mira.',
  'Lena climbs at an indoor gym on Tuesdays.',
  'Lena is saving for a trip to Patagonia.',
  'Lena grows chillies on her balcony.',
];

interface ListedMemory {
  id: string;
  content: string;
  created_at: string;
  updated_at: string | null;
  expires_at: string | null;
  metadata: Record<string, unknown>;
}

describe.each(DATABASES)('narrative-mcp memories on %s', (kind) => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  async function listed(): Promise<ListedMemory[]> {
    const result = await runCliInProcess(['memories', 'list', '--user', 'lena', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    return result.stdout.trim().split('\n').map((line) => JSON.parse(line) as ListedMemory);
  }

  beforeAll(async () => {
    ({ env, cleanup } = await cliEnvironment(kind, { migrated: true }));
    const lines = FACTS.map((content, day) => JSON.stringify({ user: 'lena', content, created_at: `2025-06-0${day + 1}T10:00:00Z` }));
    expect((await runCliInProcess(['import', '-'], env, lines.join('\n'))).code).toBe(0);
  });
  afterAll(() => cleanup());

  it("lists a user's memories newest first, as a table or as JSON lines", async () => {
    const table = await runCli(['memories', 'list', '--user', 'lena'], env);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trim().split('\n');
    expect(header).toMatch(/^ID\s+CREATED\s+UPDATED\s+EXPIRES\s+CONTENT$/);
    expect(rows.map((row) => row.slice(row.indexOf('Lena')))).toEqual([...FACTS].reverse());

    const memories = await listed();
    expect(memories.map((memory) => memory.content)).toEqual([...FACTS].reverse());
    expect(memories.map((memory) => memory.updated_at)).toEqual([null, null, null, null, null]);
  });

  it('corrects a memory in place and says the narrative that used its old text is stale until rewritten', async () => {
    expect((await runCliInProcess(['backfill', '--user', 'lena'], env)).code).toBe(0);
    const before = (await listed()).find((memory) => memory.content === FACTS[2])!;

    const result = await runCli(
      ['memories', 'update', '--user', 'lena', before.id, '--content', 'Lena climbs at an indoor gym on Thursdays.', '--metadata', '{"day":"thursday"}'],
      env,
    );

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`Updated memory ${before.id} of user lena.`);
    expect(result.stdout).toContain('The narrative used its old text: it is stale');
    const after = (await listed()).find((memory) => memory.id === before.id)!;
    expect(after).toMatchObject({
      content: 'Lena climbs at an indoor gym on Thursdays.',
      created_at: before.created_at,
      updated_at: expect.stringMatching(/^\d{4}-/),
      metadata: { day: 'thursday' },
    });
    const plan = await runCliInProcess(['backfill', '--user', 'lena', '--dry-run'], env);
    expect(plan.stdout).toMatch(/would generate\s+lena\s+\(5 memories; memory_updated\)/);
  });

  it('refuses an unknown id, a text the user already has, bad metadata and nothing to change, with one line each, changing nothing', async () => {
    const before = await listed();
    const [first, second] = before;
    // Refused before the app opens, by the binary itself; the others by the database, in process.
    const beforeTheApp = runCli;
    const byTheDatabase = runCliInProcess;
    const cases: Array<[string[], string, typeof runCli]> = [
      [['00000000-0000-4000-8000-000000000000', '--content', 'Anything.'], 'no memory 00000000-0000-4000-8000-000000000000', byTheDatabase],
      [['not-a-uuid', '--content', 'Anything.'], 'is not a memory id', byTheDatabase],
      [[first!.id, '--content', second!.content.toUpperCase()], `the user already has this text as memory ${second!.id}`, byTheDatabase],
      [[first!.id, '--metadata', '{not json'], '--metadata is not JSON', beforeTheApp],
      [[first!.id, '--metadata', '[1, 2]'], 'metadata must be a JSON object', byTheDatabase],
      [[first!.id], 'give --content, --metadata, an expiry (--expires-at, --ttl-days or --never-expires), or several', beforeTheApp],
      [[first!.id, '--ttl-days', '7', '--never-expires'], 'give one of --expires-at, --ttl-days and --never-expires', beforeTheApp],
      [[first!.id, '--expires-at', '2001-01-01T00:00:00Z'], 'is not in the future', byTheDatabase],
    ];
    for (const [args, message, run] of cases) {
      const result = await run(['memories', 'update', '--user', 'lena', ...args], env);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
    }
    expect(await listed()).toEqual(before);
    const stranger = await runCliInProcess(['memories', 'update', '--user', 'nobody', first!.id, '--content', 'x'], env);
    expect(stranger.stderr).toContain('no user "nobody"');
  });

  it('sets a memory to be forgotten, and takes the expiry away again', async () => {
    const memory = (await listed()).find((listedMemory) => listedMemory.content === FACTS[3])!;
    const set = await runCliInProcess(['memories', 'update', '--user', 'lena', memory.id, '--ttl-days', '30'], env);
    expect(set.code, set.stderr).toBe(0);
    const expiresAt = /It is forgotten on (\S+)\./.exec(set.stdout)![1]!;
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await listed()).find((listedMemory) => listedMemory.id === memory.id)!.expires_at).toBe(expiresAt);

    const removed = await runCliInProcess(['memories', 'update', '--user', 'lena', memory.id, '--never-expires'], env);
    expect(removed.stdout).toContain('It is kept until it is deleted.');
  });

  it('shows help for the memories commands', async () => {
    for (const command of [['memories'], ['memories', 'list'], ['memories', 'update']]) {
      const result = await runCliInProcess([...command, '--help'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: narrative-mcp memories');
    }
  });
});
