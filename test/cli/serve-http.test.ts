import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, cliEnvironment, runCli } from '../support/cli.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

describe.each(DATABASES)('narrative-mcp serve --http on %s', (kind) => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  beforeAll(async () => ({ env, cleanup } = await cliEnvironment(kind)));
  afterAll(() => cleanup());

  function serve() {
    const child = spawn(process.execPath, [CLI_PATH, 'serve', '--http', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { stderr: '' };
    child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    return { child, output };
  }

  it('creates a first key on a fresh database, serves the API with it, and exits cleanly on SIGTERM', async () => {
    const { child, output } = serve();
    await until(() => /listening on (http:\S+)/.test(output.stderr) || child.exitCode !== null, 30_000);
    const url = /listening on (http:\S+)/.exec(output.stderr)![1]!;
    expect(output.stderr).toContain(`MCP (Streamable HTTP): ${url}/mcp`);
    const key = /There were no keys yet, so user "local" got this one[^\n]*\n\s*(nmcp_\S+)/.exec(output.stderr)?.[1];
    expect(key).toBeDefined();

    expect((await fetch(`${url}/api/v1/memories`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect((await fetch(`${url}/`)).headers.get('content-type')).toContain('text/html');

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('does not create another key once keys exist', async () => {
    const { child, output } = serve();
    await until(() => /listening on/.test(output.stderr) || child.exitCode !== null, 30_000);
    expect(output.stderr).not.toContain('There were no keys yet');
    expect(output.stderr).toContain('Every request needs a key');
    child.kill('SIGTERM');
    await once(child, 'exit');
  });

  it.runIf(kind === 'pglite')('refuses a second process on the same embedded database with a clear message', async () => {
    const { child, output } = serve();
    await until(() => /listening on/.test(output.stderr) || child.exitCode !== null, 30_000);
    const second = await runCli(['users', 'list'], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/the embedded database in .* is in use by process \d+ .*stop it first, or use PostgreSQL/);
    child.kill('SIGTERM');
    await once(child, 'exit');
    expect((await runCli(['users', 'list'], env)).code).toBe(0);
  });
});
