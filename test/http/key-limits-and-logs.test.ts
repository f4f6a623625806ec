import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/start-http-server.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { openTestApp } from '../support/test-app.js';

describe('per-key limits and logs of the HTTP server', () => {
  let app: App;
  let server: RunningHttpServer;
  let logs = '';
  const keys: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((logs += chunk.toString()), done()) });
    app = await openTestApp('pglite', { HTTP_RATE_LIMIT_PER_MINUTE: '3' }, { provider: new ControlledProvider(), logger: pino({ level: 'trace' }, sink) });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
    for (const name of ['first', 'second']) {
      const user = await app.repositories.users.getOrCreate(name);
      keys.push((await app.repositories.apiKeys.create(user.id)).key);
    }
  });
  afterAll(async () => {
    await server.close();
    await app.close({ graceMs: 0 });
  });

  const get = (key: string) => fetch(`${server.url}/api/v1/memories`, { headers: { Authorization: `Bearer ${key}` } });

  it('answers 429 with Retry-After past the per-key limit, without slowing other keys', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(keys[0]!)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await get(keys[0]!);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await get(keys[1]!)).status).toBe(200);
  });

  it('never writes a key into the logs', async () => {
    await fetch(`${server.url}/api/v1/memories`, { headers: { Authorization: 'Bearer nmcp_wrong-key-that-must-not-be-logged' } });
    await fetch(`${server.url}/mcp`, { method: 'POST', headers: { Authorization: `Bearer ${keys[1]}`, 'content-type': 'application/json' }, body: '{' });
    expect(logs.length).toBeGreaterThan(0);
    for (const key of [...keys, 'nmcp_wrong-key-that-must-not-be-logged']) expect(logs).not.toContain(key);
  });
});
