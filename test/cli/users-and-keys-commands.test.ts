import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, runCli } from '../support/cli.js';
import { runCliInProcess } from '../support/in-process-cli.js';
import { DATABASES } from '../support/test-databases.js';

describe.each(DATABASES)('narrative-mcp users and keys on %s', (kind) => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => ({ env, cleanup } = await cliEnvironment(kind)));
  afterAll(() => cleanup());

  it('adds a user once and refuses a second user with the same id', async () => {
    expect((await runCli(['users', 'add', 'dana', '--name', 'Dana'], env)).code).toBe(0);
    const again = await runCli(['users', 'add', 'dana'], env);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe('narrative-mcp: user "dana" already exists');
  });

  it('rejects a malformed user id with a clear message', async () => {
    const result = await runCli(['users', 'add', 'two words'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('invalid user id "two words"');
  });

  it('creates a key printed once on the last line, lists it without the secret and revokes it', async () => {
    const created = await runCli(['keys', 'create', '--user', 'dana', '--name', 'laptop'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim().split('\n').at(-1)!;
    expect(key).toMatch(/^nmcp_[A-Za-z0-9_-]{43}$/);

    const listed = await runCliInProcess(['keys', 'list', '--json'], env);
    expect(listed.stdout).not.toContain(key);
    const [row] = listed.stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string; status: string; user: string });
    expect(row).toMatchObject({ user: 'dana', status: 'active' });

    expect((await runCliInProcess(['keys', 'revoke', row!.id], env)).stdout).toContain('Revoked 1 key.');
    const after = await runCliInProcess(['keys', 'list', '--json'], env);
    expect(JSON.parse(after.stdout.trim())).toMatchObject({ status: 'revoked' });
    const twice = await runCliInProcess(['keys', 'revoke', row!.id], env);
    expect(twice.code).toBe(1);
  });

  it('refuses a key for an unknown user and says how to create one', async () => {
    const result = await runCliInProcess(['keys', 'create', '--user', 'nobody'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no user "nobody": create it with `narrative-mcp users add nobody`');
  });

  it('stops on bad configuration with one line naming the variable', async () => {
    const result = await runCli(['users', 'list'], { ...env, NARRATIVE_MIN_MEMORIES: 'many' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      'narrative-mcp: configuration error: NARRATIVE_MIN_MEMORIES must be a whole number of at least 1 (got "many")',
    ]);
  });

  it('shows help for every command', async () => {
    for (const command of [[], ['serve'], ['migrate'], ['import'], ['users'], ['users', 'list'], ['keys'], ['keys', 'create']]) {
      // The binary's own help once; the rest through the same code in process.
      const result = await (command.length === 0 ? runCli : runCliInProcess)([...command, '--help'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: narrative-mcp');
    }
  });
});
