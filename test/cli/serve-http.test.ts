import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, cliEnvironment, runCli } from '../support/cli.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

describe.each(DATABASES)('narrative-mcp serve --http on %s', (kind) => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;

  // Fresh as a server sees it, with no keys; migrated already, so PGlite's initdb is not on the clock of the first start.
  beforeAll(async () => ({ env, cleanup } = await cliEnvironment(kind, { migrated: true })));
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

  it('answers the CLI while it serves: a key created by another process works at once', async () => {
    const { child, output } = serve();
    await until(() => /listening on/.test(output.stderr) || child.exitCode !== null, 30_000);
    const url = /listening on (http:\S+)/.exec(output.stderr)![1]!;
    expect((await runCli(['users', 'add', 'me'], env)).code).toBe(0);
    const created = await runCli(['keys', 'create', '--user', 'me'], env);
    expect(created.code).toBe(0);
    const key = /(nmcp_\S+)\s*$/.exec(created.stdout)![1]!;
    const listed = await runCli(['users', 'list'], env);
    expect(listed.stdout).toMatch(/^me\s/m);
    expect((await fetch(`${url}/api/v1/memories`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(output.stderr).not.toMatch(/"level":(50|60)/);
  });
});
