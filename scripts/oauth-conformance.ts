/**
 * Runs the MCP conformance suite's authorization-server scenarios against this server's own
 * authorization server:
 *
 *   npm run conformance:auth
 *
 * Starts the server in this process on a throw-away in-memory database, creates a user with an API
 * key and registers a public client (DCR) whose redirect URI is the suite's callback, then runs
 * `conformance authorization` with Node 22 from the npm registry (the suite needs it). The suite
 * prints an authorization URL for a person to open; this script answers the consent page as that
 * person would (approving with the user's key), so the run needs nobody. Needs the npm registry
 * (npx fetches node@22 and the suite) and nothing else. Exits with the suite's status.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { openApp } from '../src/app/app.js';
import { loadConfig } from '../src/config/config.js';
import { startHttpServer } from '../src/http/start-http-server.js';

/** The first release with authorization-server scenarios (`conformance authorization`). */
const CONFORMANCE = '@modelcontextprotocol/conformance@0.2.0-alpha.12';
const NODE = 'node@22';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Opens the consent page at `authorizationUrl`, approves with `apiKey`, and follows the redirect back to the client. */
async function approve(authorizationUrl: string, base: string, apiKey: string): Promise<void> {
  const page = await fetch(authorizationUrl, { redirect: 'manual' });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`the consent page answered ${page.status}: ${html}`);
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? '';
  const answered = await fetch(`${base}/oauth/consent`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: page.headers.get('set-cookie')?.split(';')[0] ?? '' },
    body: new URLSearchParams({ request: field('request'), csrf: field('csrf'), decision: 'approve', api_key: apiKey }),
  });
  const location = answered.headers.get('location');
  if (answered.status !== 303 || !location) throw new Error(`the consent form answered ${answered.status}: ${await answered.text()}`);
  await (await fetch(location)).text();
}

const app = await openApp(loadConfig({ NARRATIVE_DATA_DIR: 'memory://', LOG_LEVEL: 'silent' }), pino({ level: 'silent' }));
const server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
let status: number;
try {
  const base = server.url;
  const user = await app.repositories.users.getOrCreate('conformance');
  const { key } = await app.repositories.apiKeys.create(user.id);
  const callbackPort = await freePort();
  const registered = await fetch(`${base}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'MCP conformance suite', redirect_uris: [`http://127.0.0.1:${callbackPort}/callback`], token_endpoint_auth_method: 'none' }),
  });
  const client = (await registered.json()) as { client_id: string };

  const started = performance.now();
  const args = ['-y', '-p', NODE, '-p', CONFORMANCE, 'conformance', 'authorization'];
  args.push('--url', `${base}/`, '--client-id', client.client_id, '--resource', `${base}/mcp`, '--port', String(callbackPort));
  console.log(`Server at ${base}; running npx ${args.join(' ')}`);
  const suite = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const approvals: Promise<void>[] = [];
  for await (const line of createInterface({ input: suite.stdout })) {
    console.log(line);
    if (line.startsWith(`${base}/authorize?`)) approvals.push(approve(line, base, key).catch((error: unknown) => console.error(`Approving failed: ${String(error)}`)));
  }
  status = await new Promise<number>((resolve) => (suite.exitCode !== null ? resolve(suite.exitCode) : suite.on('exit', (code) => resolve(code ?? 1))));
  await Promise.all(approvals);
  console.log(`Conformance suite exited with ${status} after ${((performance.now() - started) / 1000).toFixed(1)} s.`);
} finally {
  await server.close();
  await app.close({ graceMs: 0 });
}
process.exit(status);
