import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, runCli } from '../support/cli.js';
import { runCliInProcess } from '../support/in-process-cli.js';
import { LOCOMO_MEMORIES } from '../support/locomo.js';
import { DATABASES } from '../support/test-databases.js';


describe.each(DATABASES)('narrative-mcp import on %s', (kind) => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => ({ env, cleanup } = await cliEnvironment(kind)));
  afterAll(() => cleanup());

  it('migrates an empty database and reports the migration applied', async () => {
    const result = await runCli(['migrate'], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('applied 0001-initial-schema');
    expect(result.stdout).toContain('up to date');
  });

  it('imports the LoCoMo memories: 14 users and 1,755 memories', async () => {
    const result = await runCliInProcess(['import', LOCOMO_MEMORIES], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1755 memories added, 0 already present, 14 users (14 new)');
  });

  it('lists every user with their memory count', async () => {
    const result = await runCliInProcess(['users', 'list'], env);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(15);
    expect(lines.find((line) => line.startsWith('locomo-41-john'))).toMatch(/^locomo-41-john\s+172\s/);
    const json = await runCliInProcess(['users', 'list', '--json'], env);
    const users = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { memories: number });
    expect(users.reduce((sum, user) => sum + user.memories, 0)).toBe(1755);
  });

  it('changes nothing when the same file is imported again', async () => {
    const result = await runCliInProcess(['import', LOCOMO_MEMORIES], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0 memories added, 1755 already present, 14 users (0 new)');
    const json = await runCliInProcess(['users', 'list', '--json'], env);
    expect(json.stdout.trim().split('\n')).toHaveLength(14);
  });

  it('reports each bad line with its number, writes none of it, and keeps the good lines', async () => {
    const file = join(tmpdir(), `narrative-mcp-bad-${kind}-${process.pid}.jsonl`);
    const lines = [
      JSON.stringify({ user: 'importer', content: 'A good first line' }),
      '{"user": "importer", "content": ',
      JSON.stringify({ user: 'importer', content: '' }),
      JSON.stringify({ user: 'importer', content: 'x'.repeat(10_001) }),
      JSON.stringify({ user: 'importer', content: 'has a NUL \u0000 inside' }),
      JSON.stringify({ user: 'importer', content: 'escape \u001b[31m red' }),
      JSON.stringify({ user: 'importer', content: 'bad date', created_at: '2023-02-30T10:00:00Z' }),
      JSON.stringify({ user: 'importer', content: 'not a date', created_at: 'last tuesday' }),
      JSON.stringify({ user: '', content: 'no user' }),
      JSON.stringify({ user: 'robert"); drop table users;--', content: 'hostile user id' }),
      JSON.stringify({ content: 'missing user' }),
      '[1, 2, 3]',
      '',
      JSON.stringify({ user: 'importer', content: "Robert'); DROP TABLE memories;-- likes SQL" }),
    ];
    await writeFile(file, lines.join('\n'));
    const result = await runCliInProcess(['import', file], env);
    expect(result.code).toBe(1);
    const reported = result.stderr.trim().split('\n').map((line) => Number(/:(\d+): /.exec(line)?.[1]));
    expect(reported).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(result.stderr).toContain(':5: content: content contains control character U+0000');
    expect(result.stderr).toContain(':7: created_at: created_at must be an ISO 8601 date-time');
    expect(result.stdout).toContain('2 memories added');
    expect(result.stdout).toContain('11 bad lines skipped');
    const users = await runCliInProcess(['users', 'list', '--json'], env);
    const importer = users.stdout.trim().split('\n').map((line) => JSON.parse(line) as { user: string; memories: number });
    expect(importer.find((user) => user.user === 'importer')?.memories).toBe(2);
    expect(importer).toHaveLength(15);
  });

  it('reads standard input for -, with the same per-line errors', async () => {
    const lines = [
      JSON.stringify({ user: 'piped', content: 'Piped memories arrive from standard input.' }),
      '{"user": "piped", "content": ',
      JSON.stringify({ user: 'piped', content: 'A second piped memory.', created_at: '2024-02-01T10:00:00Z' }),
    ];
    const result = await runCli(['import', '-'], env, `${lines.join('\n')}\n`);
    expect(result.stderr.trim()).toMatch(/^stdin:2: not valid JSON \(.+\) \(line skipped\)$/);
    expect(result.stdout).toContain('Read 3 lines: 2 memories added, 0 already present, 1 users (1 new), 1 bad lines skipped.');
    expect(result.code).toBe(1);
    const again = await runCli(['import', '-'], env, lines[0]);
    expect(again.stdout).toContain('1 already present');
    expect(again.code).toBe(0);
  });

  it('says clearly when the file does not exist', async () => {
    const result = await runCli(['import', '/nonexistent/memories.jsonl'], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe('narrative-mcp: cannot read /nonexistent/memories.jsonl: no such file or no permission');
  });
});
