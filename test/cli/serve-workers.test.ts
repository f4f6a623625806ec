import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { Agent, get } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, cliEnvironment, runCli } from '../support/cli.js';
import { connectOverHttp } from '../support/mcp-test-client.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const WORKERS = 2;

interface Answer {
  status: number;
  body: string;
}

/**
 * One request on a connection of its own, so the port hands it to whichever worker is next. One
 * that gets no answer within 10 s fails, so a wait made of requests keeps its own time limit.
 */
function request(url: string, key?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const agent = new Agent({ keepAlive: false });
    const sent = get(url, { agent, timeout: 10_000, headers: key ? { authorization: `Bearer ${key}` } : {} }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    sent.on('timeout', () => sent.destroy(new Error(`no answer from ${url} within 10 s`)));
    sent.on('error', reject);
  });
}

async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

describe.each(DATABASES)('narrative-mcp serve --http --workers on %s', (kind) => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  let server: ChildProcess;
  let stderr = '';
  let url: string;
  let key: string;

  /** The workers that answer a round of requests, by their cluster ids. */
  async function answeringWorkers(rounds = 24): Promise<Set<number>> {
    const workers = new Set<number>();
    for (let n = 0; n < rounds; n++) {
      // While a worker is replaced, a connection may go to the one that died: it counts as no answer.
      const answer = await request(`${url}/healthz`).catch(() => undefined);
      if (answer?.status === 200) workers.add((JSON.parse(answer.body) as { worker: number }).worker);
    }
    return workers;
  }

  /** A wait that fails with what the server wrote, so a failure in CI explains itself. */
  async function explained(waiting: Promise<void>): Promise<void> {
    await waiting.catch((error: unknown) => {
      throw new Error(`${String(error)}\nserver stderr:\n${stderr}`);
    });
  }

  beforeAll(async () => {
    ({ env, cleanup } = await cliEnvironment(kind));
    server = spawn(process.execPath, [CLI_PATH, 'serve', '--http', '--port', '0', '--workers', String(WORKERS)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await until(() => /listening on (http:\S+)/.test(stderr) || server.exitCode !== null, 60_000);
    url = /listening on (http:\S+)/.exec(stderr)![1]!;
    key = /There were no keys yet, so user "local" got this one[^\n]*\n\s*(nmcp_\S+)/.exec(stderr)![1]!;
    await until(async () => (await childPids(server.pid!)).length === WORKERS, 60_000);
    await until(async () => (await answeringWorkers(8)).size === WORKERS, 60_000);
  }, 180_000);

  afterAll(async () => {
    if (server.exitCode === null) {
      server.kill('SIGKILL');
      await once(server, 'exit');
    }
    await cleanup();
  });

  it('runs the workers on one port, with one banner and one first key between them', async () => {
    expect(await answeringWorkers()).toEqual(new Set([1, 2]));
    expect(stderr.match(/listening on/g)).toHaveLength(1);
    expect(stderr).toContain(`${WORKERS} worker processes without MCP sessions`);
    const keys = await runCli(['keys', 'list'], env);
    expect(keys.stdout.match(/nmcp_/g)).toHaveLength(1);
  });

  it('serves the SDK client across workers without sessions', async () => {
    const client = await connectOverHttp(url, key, 'streamable');
    try {
      await client.callTool({ name: 'add_memories', arguments: { memories: [{ content: 'I grow tomatoes on my balcony' }] } });
      for (let n = 0; n < 6; n++) {
        const found = (await client.callTool({ name: 'search_memories', arguments: { query: 'tomatoes' } })) as CallToolResult;
        expect(JSON.stringify(found.structuredContent)).toContain('tomatoes');
      }
    } finally {
      await client.close();
    }
  });

  it('takes a key created by another process at once in every worker, and refuses a revoked one at once in every worker', async () => {
    const created = await runCli(['keys', 'create', '--user', 'local'], env);
    const newKey = /(nmcp_\S+)\s*$/.exec(created.stdout)![1]!;
    for (let n = 0; n < 12; n++) expect((await request(`${url}/api/v1/memories`, newKey)).status).toBe(200);
    const id = /\(id ([0-9a-f-]{36})\)/.exec(created.stdout)![1]!;
    expect((await runCli(['keys', 'revoke', id], env)).code).toBe(0);
    for (let n = 0; n < 12; n++) expect((await request(`${url}/api/v1/memories`, newKey)).status).toBe(401);
  });

  // Generous limits: on the embedded database the victim may be the directory's owner, whose
  // successor opens PGlite (with its crash recovery) while the replacement starts.
  it('replaces a worker that dies', { timeout: 200_000 }, async () => {
    const [victim] = await childPids(server.pid!);
    process.kill(victim!, 'SIGKILL');
    await explained(
      until(async () => {
        const pids = await childPids(server.pid!);
        return pids.length === WORKERS && !pids.includes(victim!);
      }, 90_000),
    );
    // A replacement that found the database changing hands as it started may itself be replaced.
    await explained(until(async () => [...(await answeringWorkers(8))].some((id) => id > WORKERS), 90_000));
    expect(stderr).toContain('an HTTP worker ended; starting another');
  });

  it('drains every worker on SIGTERM and exits cleanly', { timeout: 90_000 }, async () => {
    const workers = await childPids(server.pid!);
    server.kill('SIGTERM');
    let exited = false;
    const exit = once(server, 'exit').finally(() => (exited = true));
    await explained(until(() => exited, 80_000));
    const [code] = await exit;
    expect(code).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
    expect(stderr).not.toMatch(/"level":(50|60)/);
  });
});
