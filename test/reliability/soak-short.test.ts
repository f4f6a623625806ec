import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/soak/run-soak.js';
import { StreamableSessionRegistry } from '../../src/http/routes/streamable-session-registry.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { startHostedServer, type HostedServer, type HostedUser } from '../support/hosted-server.js';
import { ManualClock } from '../support/manual-clock.js';

describe('a short soak', () => {
  it('answers every request of 15 s of mixed traffic from 20 clients over HTTP, and loses no acknowledged memory', { timeout: 180_000 }, async () => {
    // In process on an in-memory database, so it starts at once; `npm run soak` runs the real server process.
    const result = await runSoak({ seconds: 15, clients: 20, database: 'pglite', inProcess: true, thinkMs: 250, windowSeconds: 5 });
    console.info(
      `soak-short: ${result.requests} requests, ${result.failed} failed, ${result.acknowledgedAdds} adds acknowledged, ${result.dataLost} lost, ` +
        `p99 ${result.latencyMs.p99} ms, RSS ${result.rssMb.afterWarmUp} → ${result.rssMb.end} MB`,
    );
    expect(result.failures).toEqual({});
    expect(result.requests).toBeGreaterThan(100);
    expect(Object.keys(result.operations).sort()).toEqual(['add', 'hit', 'miss', 'narrative', 'regenerate', 'search']);
    expect(result.acknowledgedAdds).toBeGreaterThan(0);
    expect(result.dataLost).toBe(0);
    expect(result.serverExitCode).toBe(0);
  });
});

describe('Streamable HTTP sessions their clients abandon', () => {
  const { idleMs, maxPerUser } = StreamableSessionRegistry.DEFAULTS;
  let hosted: HostedServer;
  let clock: ManualClock;
  let user: HostedUser;

  beforeAll(async () => {
    clock = new ManualClock();
    hosted = await startHostedServer('pglite', { HTTP_RATE_LIMIT_PER_MINUTE: '1000000' }, { provider: new ControlledProvider(), clock });
    user = await hosted.addUser('wanderer', ['The wanderer walks a lot.']);
  });
  afterAll(() => hosted.close());

  async function alive(sessionId: string): Promise<boolean> {
    const response = await hosted.fetch(
      '/mcp',
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
      },
      user.key,
    );
    await response.text();
    return response.status === 200;
  }

  it('closes a session nobody has used for a while once another one opens, and keeps the ones in use', async () => {
    const abandoned = await hosted.openRawSession(user.key, 'leaver');
    const used = await hosted.openRawSession(user.key, 'leaver');
    await clock.advance(idleMs / 2);
    expect(await alive(used)).toBe(true);
    await clock.advance(idleMs / 2 + 1);
    await hosted.openRawSession(user.key, 'leaver');
    expect(await alive(abandoned)).toBe(false);
    expect(await alive(used)).toBe(true);
  });

  it('keeps a user to a bounded number of sessions, closing the least recently used', async () => {
    const kept = await hosted.openRawSession(user.key, 'leaver');
    const dropped = await hosted.openRawSession(user.key, 'leaver');
    for (let opened = 0; opened < maxPerUser; opened++) {
      await hosted.openRawSession(user.key, 'leaver');
      expect(await alive(kept)).toBe(true);
    }
    expect(await alive(dropped)).toBe(false);
  });
});
