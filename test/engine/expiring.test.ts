import { Readable } from 'node:stream';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { HOUR_MS, DAY_MS } from '../../src/clock/durations.js';
import { importMemories } from '../../src/engine/import-memories.js';
import { createMcpServer } from '../../src/mcp/create-mcp-server.js';
import { sweepExpiredMemories } from '../../src/operations/expiry-sweep.js';
import { runRefreshPass } from '../../src/operations/refresh-pass.js';
import { GatedOfflineProvider } from '../support/gated-offline-provider.js';
import { ManualClock } from '../support/manual-clock.js';
import { callTool, connectInProcess, textOf } from '../support/mcp-test-client.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';

const FACTS = [
  'Iris restores stained glass windows for a living.',
  'Iris has a sister called Mona who teaches chemistry.',
  'Iris grows tomatoes on her balcony.',
  'Iris is learning to play the cello.',
  'Iris runs along the river every Sunday.',
];
const TRIP = 'Iris is in Lisbon this week for a glass conference.';

describe.each(DATABASES)('memories that expire on %s', (kind) => {
  let app: App;
  const clock = new ManualClock(new Date('2026-05-04T09:00:00Z'));
  const provider = new GatedOfflineProvider();

  async function userWith(externalId: string, facts: readonly string[]): Promise<string> {
    const { id } = await app.repositories.users.getOrCreate(externalId);
    await app.engine.memories.add(id, facts.map((content, day) => ({ content, created_at: new Date(Date.UTC(2026, 3, 1 + day)) })), 'test');
    return id;
  }

  beforeAll(async () => {
    // Held users are served up to a day old: only the expiry deadline can make the tier read one again.
    app = await openTestApp(kind, { HOT_TIER_MAX_AGE_SECONDS: '86400' }, { provider, clock });
  });
  afterAll(() => app.close({ graceMs: 0 }));

  it('forgets an expired memory at once: not searched, listed or attached, and the narrative that used it is stale and rewritten without it', async () => {
    const userId = await userWith('iris', FACTS);
    const [trip] = (await app.engine.memories.add(userId, [{ content: TRIP, ttl_days: 1 / 24 }], 'test')).added;
    expect(trip!.expires_at).toEqual(new Date(clock.now() + HOUR_MS));
    await app.engine.runner.request(userId, 'miss').done;
    const first = (await app.repositories.narratives.get(userId))!;
    expect(first.narrative_content).toContain('Lisbon');
    expect(first.source_expires_at).toEqual(trip!.expires_at);

    const before = await app.engine.context.orchestrate(userId, 'the glass conference in Lisbon');
    expect(before.source).toBe('cache');
    expect(before.memories[0]?.id).toBe(trip!.id);
    expect((await app.engine.memories.search(userId, 'Lisbon', 5)).map((memory) => memory.id)).toEqual([trip!.id]);
    expect((await app.engine.memories.list(userId, 10)).memories.map((memory) => memory.id)).toContain(trip!.id);

    provider.close();
    await clock.advance(HOUR_MS);

    const after = await app.engine.context.orchestrate(userId, 'the glass conference in Lisbon');
    expect(after.source).toBe('stale_cache');
    expect(after.narrative?.stale_reasons).toEqual(['memory_expired']);
    expect(after.memories.map((memory) => memory.id)).not.toContain(trip!.id);
    expect(await app.engine.memories.search(userId, 'Lisbon', 5)).toEqual([]);
    expect((await app.engine.memories.list(userId, 10)).memories.map((memory) => memory.id)).not.toContain(trip!.id);
    expect((await app.engine.status.status(userId)).narrative).toMatchObject({
      state: 'stale',
      stale_reasons: ['memory_expired'],
      memory_expired_since: true,
      memory_deleted_since: false,
    });
    expect((await app.engine.status.status(userId)).memory_count).toBe(FACTS.length);

    provider.open();
    await app.engine.runner.onIdle();
    const rewritten = (await app.repositories.narratives.get(userId))!;
    expect(rewritten).toMatchObject({ version: first.version + 1, build_kind: 'full', source_expires_at: null, invalidated_at: null });
    expect(rewritten.narrative_content).not.toContain('Lisbon');
    expect(rewritten.source_memory_ids).not.toContain(trip!.id);
    expect((await app.engine.context.orchestrate(userId, 'hello')).source).toBe('cache');
  });

  it('sweeps: marks the narratives that used an expired memory and removes it after the retention, at once with none', async () => {
    const userId = await userWith('sweep', FACTS.map((fact) => fact.replace('Iris', 'Olga')));
    const [kept, gone] = (
      await app.engine.memories.add(
        userId,
        [
          { content: 'Olga is at a ceramics retreat until Friday.', expires_at: new Date(clock.now() + HOUR_MS) },
          { content: 'Olga is minding her neighbour’s dog today.', expires_at: new Date(clock.now() + 2 * HOUR_MS) },
        ],
        'test',
      )
    ).added;
    await app.engine.runner.request(userId, 'miss').done;
    expect((await app.repositories.narratives.get(userId))!.source_expires_at).toEqual(kept!.expires_at);
    await clock.advance(2 * HOUR_MS);

    const withRetention = await sweepExpiredMemories(app, 1);
    expect(withRetention.narrativesOutdated).toBeGreaterThanOrEqual(1);
    expect((await app.repositories.narratives.get(userId))!.invalidated_reason).toContain('memory_expired');
    expect((await app.repositories.memories.findByIds(userId, [kept!.id, gone!.id])).length).toBe(2);
    expect((await sweepExpiredMemories(app, 1)).narrativesOutdated).toBe(0);

    await clock.advance(DAY_MS - HOUR_MS);
    // Other tests' memories share the clock: what is removed is judged by this user's rows.
    expect((await sweepExpiredMemories(app, 1)).memoriesPurged).toBeGreaterThanOrEqual(1);
    expect((await app.repositories.memories.findByIds(userId, [kept!.id, gone!.id])).map((memory) => memory.id)).toEqual([gone!.id]);

    // The pass sweeps first, then rewrites the narrative the sweep marked.
    const pass = await runRefreshPass(app, { horizonHours: 24, activeDays: 60, limit: 10, expiredRetentionDays: 0 });
    expect(pass.expiry.memoriesPurged).toBeGreaterThanOrEqual(1);
    expect(await app.repositories.memories.findByIds(userId, [gone!.id])).toEqual([]);
    expect((await app.repositories.narratives.get(userId))!).toMatchObject({ invalidated_at: null, source_expires_at: null });
  });

  it('refuses a call with an expiry that cannot be stored, says which memory and why, and stores none of it', async () => {
    const { id: userId } = await app.repositories.users.getOrCreate('refused');
    const call = app.engine.memories.add(
      userId,
      [
        { content: 'A fine memory.' },
        { content: 'Expired already.', expires_at: new Date(clock.now() - 1) },
        { content: 'Asked twice.', expires_at: new Date(clock.now() + DAY_MS), ttl_days: 2 },
      ],
      'test',
    );
    await expect(call).rejects.toThrow(
      /^Nothing was stored; 2 memories were refused:\n- memories\.1: expires_at .* is not in the future .*\n- memories\.2: give expires_at or ttl_days, not both$/,
    );
    expect(await app.repositories.memories.count(userId)).toBe(0);
  });

  it('gives the text of an expired memory back: the same fact can be told again, and the expired one cannot be corrected', async () => {
    const { id: userId } = await app.repositories.users.getOrCreate('again');
    const [first] = (await app.engine.memories.add(userId, [{ content: 'Ada is in Rome.', ttl_days: 1 }], 'test')).added;
    await clock.advance(DAY_MS);
    const [second] = (await app.engine.memories.add(userId, [{ content: 'Ada is in Rome.' }], 'test')).added;
    expect(second).toMatchObject({ content: 'Ada is in Rome.', expires_at: null });
    expect(second!.id).not.toBe(first!.id);
    const update = await app.engine.memories.update(userId, [{ id: first!.id, content: 'Ada is in Milan.' }]);
    expect(update).toMatchObject({ ok: false, errors: [{ index: 0, reason: 'expired' }] });
    expect((await app.engine.memories.delete(userId, [first!.id])).notFound).toEqual([first!.id]);
  });

  it('sets, moves and removes an expiry with update_memories, and the narrative follows the earliest one it stands on', async () => {
    const userId = await userWith('mover', FACTS.map((fact) => fact.replace('Iris', 'Jo')));
    await app.engine.runner.request(userId, 'miss').done;
    const [memory] = await app.repositories.memories.recent(userId, { limit: 1 });
    const narrative = async () => (await app.repositories.narratives.get(userId))!;
    expect((await narrative()).source_memory_ids).toContain(memory!.id);

    const set = await app.engine.memories.update(userId, [{ id: memory!.id, ttl_days: 2 }]);
    expect(set).toMatchObject({ ok: true, narrativeInvalidated: false, updated: [{ expires_at: new Date(clock.now() + 2 * DAY_MS) }] });
    expect((await narrative()).source_expires_at).toEqual(new Date(clock.now() + 2 * DAY_MS));
    const later = new Date(clock.now() + 5 * DAY_MS);
    await app.engine.memories.update(userId, [{ id: memory!.id, expires_at: later.toISOString() }]);
    expect((await narrative()).source_expires_at).toEqual(later);
    await app.engine.memories.update(userId, [{ id: memory!.id, expires_at: null }]);
    expect((await narrative()).source_expires_at).toBeNull();
    expect((await app.engine.status.status(userId)).narrative).toMatchObject({ state: 'fresh' });

    const refused = await app.engine.memories.update(userId, [
      { id: memory!.id, expires_at: new Date(clock.now() - 1).toISOString() },
      { id: memory!.id, expires_at: 'tomorrow' },
      { id: memory!.id, ttl_days: 1, expires_at: later.toISOString() },
    ]);
    expect(refused).toMatchObject({
      ok: false,
      errors: [
        { index: 0, reason: 'invalid_expiry', message: expect.stringContaining('is not in the future') },
        { index: 1, reason: 'invalid_expiry', message: expect.stringContaining('ISO 8601') },
        { index: 2, reason: 'invalid_expiry', message: 'give expires_at or ttl_days, not both' },
      ],
    });
  });

  it('imports expiring lines: ttl_days from the import, an expiry already past skipped and counted, both at once a bad line', async () => {
    const lines = [
      { user: 'importer', content: 'Bo is on call this weekend.', ttl_days: 2 },
      { user: 'importer', content: 'Bo is at a wedding in Porto.', expires_at: new Date(clock.now() + DAY_MS).toISOString() },
      { user: 'importer', content: 'Bo was ill last week.', expires_at: new Date(clock.now() - DAY_MS).toISOString() },
      { user: 'importer', content: 'Bo said both.', expires_at: new Date(clock.now() + DAY_MS).toISOString(), ttl_days: 1 },
      { user: 'importer', content: 'Bo said zero.', ttl_days: 0 },
    ];
    const summary = await importMemories(app.repositories, Readable.from(lines.map((line) => `${JSON.stringify(line)}\n`)), {
      maxChars: 1_000,
      batchSize: 10,
      clock,
    });
    expect(summary).toMatchObject({ added: 2, expired: 1 });
    expect(summary.problems).toEqual([
      { line: 4, message: 'give expires_at or ttl_days, not both' },
      { line: 5, message: 'ttl_days: ttl_days must be more than 0' },
    ]);
    const userId = (await app.repositories.users.findByExternalId('importer'))!.id;
    const stored = (await app.engine.memories.list(userId, 10)).memories;
    expect(stored.map((memory) => [memory.content, memory.expires_at?.getTime()])).toEqual([
      ['Bo is at a wedding in Porto.', clock.now() + DAY_MS],
      ['Bo is on call this weekend.', clock.now() + 2 * DAY_MS],
    ]);
  });

  describe('add_memories over MCP', () => {
    let client: Client;
    beforeAll(async () => {
      const row = await app.repositories.users.getOrCreate('mcp-expiry');
      client = await connectInProcess(
        createMcpServer({ engine: app.engine, logger: app.logger, resolveUser: async () => ({ id: row.id, externalId: 'mcp-expiry' }) }),
      );
    });
    afterAll(() => client.close());

    it('stores expires_at and ttl_days and answers each memory with its expiry', async () => {
      const expiresAt = new Date(clock.now() + 3 * DAY_MS).toISOString();
      const result = await callTool(client, 'add_memories', {
        memories: [{ content: 'Cy is in Oslo until Thursday.', expires_at: expiresAt }, { content: 'Cy has a cold.', ttl_days: 5 }, { content: 'Cy is a welder.' }],
      });
      expect(result.isError).toBeFalsy();
      expect((result.structuredContent as { added: { expires_at: string | null }[] }).added.map((memory) => memory.expires_at)).toEqual([
        expiresAt,
        new Date(clock.now() + 5 * DAY_MS).toISOString(),
        null,
      ]);
    });

    it('refuses a bad ttl_days or a past expires_at with the memory it concerns, storing nothing', async () => {
      const userId = (await app.repositories.users.findByExternalId('mcp-expiry'))!.id;
      const count = await app.repositories.memories.count(userId);
      const tooLong = await callTool(client, 'add_memories', { memories: [{ content: 'Fine.' }, { content: 'Forever.', ttl_days: 100_000 }] });
      expect(tooLong.isError).toBe(true);
      expect(textOf(tooLong)).toMatch(/memories\.1\.ttl_days|ttl_days must be at most 3650/);
      const past = await callTool(client, 'add_memories', {
        memories: [{ content: 'Fine.' }, { content: 'Yesterday.', expires_at: new Date(clock.now() - DAY_MS).toISOString() }],
      });
      expect(past.isError).toBe(true);
      expect(textOf(past)).toContain('memories.1: expires_at');
      expect(await app.repositories.memories.count(userId)).toBe(count);
    });
  });
});
