import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import type { MemoryRow } from '../../src/db/database-schema.js';
import { importMemories } from '../../src/engine/import-memories.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { GatedOfflineProvider } from '../support/gated-offline-provider.js';
import { LOCOMO_MEMORIES } from '../support/locomo.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

describe.each(DATABASES)('correcting a memory on %s (offline provider, LoCoMo data)', (kind) => {
  let app: App;
  let userId: string;
  const provider = new GatedOfflineProvider();

  beforeAll(async () => {
    app = await openTestApp(kind, {}, { provider });
    await importMemories(app.repositories, LOCOMO_MEMORIES, { maxChars: 10_000, batchSize: 500 });
    userId = (await app.repositories.users.findByExternalId('locomo-26-caroline'))!.id;
  });
  afterAll(() => app.close({ graceMs: 0 }));

  it('replaces the old text in the next narrative, built in full, and serves the old one as stale until then', async () => {
    await app.engine.runner.request(userId, 'miss').done;
    const first = (await app.repositories.narratives.get(userId))!;
    const [used] = await app.repositories.memories.findByIds(userId, [first.source_memory_ids[0]!]);
    const oldText = used!.content.replace(/\.$/, '');
    expect(first.narrative_content).toContain(oldText);

    const corrected = 'Caroline moved to Reykjavik to study volcanic geology.';
    provider.close();
    const result = await app.engine.memories.update(userId, [{ id: used!.id, content: corrected }]);
    expect(result).toMatchObject({ ok: true, narrativeInvalidated: true });

    const stale = await app.engine.context.orchestrate(userId, 'volcanic geology in Reykjavik');
    expect(stale.source).toBe('stale_cache');
    expect(stale.narrative?.stale_reasons).toEqual(['memory_updated']);
    expect(stale.memories[0]).toMatchObject({ id: used!.id, content: corrected });
    expect(stale.memories.map((memory) => memory.content)).not.toContain(used!.content);

    provider.open();
    await app.engine.runner.onIdle();
    const second = (await app.repositories.narratives.get(userId))!;
    expect(second).toMatchObject({ version: first.version + 1, build_kind: 'full', invalidated_at: null });
    expect(second.narrative_content).not.toContain(oldText);
    expect((await app.engine.context.orchestrate(userId, 'hello')).source).toBe('cache');
  });
});

const FACTS = [
  'Noor repairs church organs for a living.',
  'Noor has a brother called Sami who is a pilot.',
  'Noor keeps bees on her allotment.',
  'Noor is learning Icelandic.',
  'Noor swims in the sea every morning.',
  'Noor wants to walk the Camino next spring.',
];

describe.each(DATABASES)('updating memories on %s', (kind) => {
  let app: App;
  let provider: ControlledProvider;
  let clock: ManualClock;
  let userId: string;
  let memories: MemoryRow[];

  /** The user's memories as stored, in the order of FACTS. */
  async function stored(): Promise<MemoryRow[]> {
    const rows = await app.repositories.memories.findByIds(userId, memories.map((memory) => memory.id));
    return memories.map((memory) => rows.find((row) => row.id === memory.id)!);
  }

  beforeEach(async () => {
    provider = new ControlledProvider();
    clock = new ManualClock(new Date('2026-03-01T12:00:00Z'));
    app = await openTestApp(kind, { MAX_MEMORY_CHARS: '100' }, { provider, clock });
    userId = (await app.repositories.users.getOrCreate('noor')).id;
    memories = (
      await app.engine.memories.add(userId, FACTS.map((content, day) => ({ content, created_at: new Date(Date.UTC(2026, 1, 1 + day)) })), 'test')
    ).added;
    await app.engine.runner.request(userId, 'miss').done;
    await clock.advance(60_000);
  });
  afterEach(() => app.close({ graceMs: 0 }));

  it('updates every memory of a call, keeping their ids, numbers and dates, and marks the narrative stale at once', async () => {
    const numbers = await app.repositories.memories.newestWithSeq(userId, 10);
    const release = provider.hold();
    const result = await app.engine.memories.update(userId, [
      { id: memories[2]!.id, content: 'Noor keeps bees and sells their honey.' },
      { id: memories[3]!.id, metadata: { source: 'correction' } },
    ]);

    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.updated.map((memory) => [memory.id, memory.content])).toEqual([
      [memories[2]!.id, 'Noor keeps bees and sells their honey.'],
      [memories[3]!.id, 'Noor is learning Icelandic.'],
    ]);
    expect(result.updated.map((memory) => memory.updated_at?.getTime())).toEqual([clock.now(), clock.now()]);
    expect(result.narrativeInvalidated).toBe(true);
    const after = await stored();
    expect(after.map((memory) => memory.created_at.toISOString())).toEqual(memories.map((memory) => memory.created_at.toISOString()));
    expect(after[3]!.metadata).toEqual({ source: 'correction' });
    const numbered = (rows: { id: string; seq: string }[]) => rows.map((memory) => `${memory.id}: ${memory.seq}`);
    expect(numbered(await app.repositories.memories.newestWithSeq(userId, 10))).toEqual(numbered(numbers));
    expect((await app.engine.memories.search(userId, 'honey', 5)).map((memory) => memory.id)).toEqual([memories[2]!.id]);

    const status = await app.engine.status.status(userId);
    expect(status.narrative).toMatchObject({ state: 'stale', stale_reasons: ['memory_updated'], memory_updated_since: true, memory_deleted_since: false });
    release();
    await app.engine.runner.onIdle();
    const rewritten = (await app.repositories.narratives.get(userId))!;
    expect(rewritten).toMatchObject({ version: 2, invalidated_at: null });
    expect(rewritten.narrative_content).toContain('Noor keeps bees and sells their honey.');
    expect(rewritten.narrative_content).not.toContain('Noor keeps bees on her allotment.');
  });

  it('refuses a call with any bad item, writes none of it, and says why for each item', async () => {
    const stranger = (await app.repositories.users.getOrCreate('stranger')).id;
    const [strangers] = (await app.engine.memories.add(stranger, [{ content: 'A stranger likes tea.' }], 'test')).added;
    await app.engine.memories.delete(userId, [memories[5]!.id]);
    await app.engine.runner.onIdle();
    const [extra] = (await app.engine.memories.add(userId, [{ content: 'Noor collects old maps.' }], 'test')).added;
    const before = await stored();
    const narrative = await app.repositories.narratives.get(userId);

    const result = await app.engine.memories.update(userId, [
      { id: memories[0]!.id, content: 'Noor tunes pianos for a living.' },
      { id: 'not-a-uuid', content: 'x' },
      { id: randomUUID(), content: 'Unknown memory.' },
      { id: strangers!.id, content: 'Taken over.' },
      { id: memories[5]!.id, content: 'Back from the dead.' },
      { id: memories[1]!.id, content: '   ' },
      { id: memories[1]!.id.toUpperCase(), content: 'Noor has a brother called Sami.' },
      { id: memories[2]!.id, content: 'x'.repeat(101) },
      { id: memories[3]!.id },
      { id: memories[3]!.id.replace(/.$/, (c) => (c === '0' ? '1' : '0')), metadata: [] },
      { id: memories[4]!.id, content: 'noor  is LEARNING icelandic.' },
      { id: extra!.id, content: 'noor tunes pianos for a living.' },
    ]);

    expect(result).toEqual({
      ok: false,
      errors: [
        { index: 1, id: 'not-a-uuid', reason: 'invalid_id', message: expect.stringContaining('not a memory id') },
        { index: 2, id: expect.any(String), reason: 'not_found', message: expect.stringContaining("no memory") },
        { index: 3, id: strangers!.id, reason: 'not_found', message: expect.stringContaining('no memory') },
        { index: 4, id: memories[5]!.id, reason: 'deleted', message: expect.stringContaining('was deleted') },
        { index: 5, id: memories[1]!.id, reason: 'invalid_content', message: 'content is empty' },
        { index: 6, id: memories[1]!.id.toUpperCase(), reason: 'repeated_id', message: expect.stringContaining('item 5') },
        { index: 7, id: memories[2]!.id, reason: 'invalid_content', message: 'content is longer than 100 characters' },
        { index: 8, id: memories[3]!.id, reason: 'nothing_to_update', message: expect.any(String) },
        { index: 9, id: expect.any(String), reason: 'invalid_metadata', message: 'metadata must be a JSON object' },
        { index: 10, id: memories[4]!.id, reason: 'duplicate', message: `the user already has this text as memory ${memories[3]!.id}` },
        { index: 11, id: extra!.id, reason: 'duplicate', message: 'item 0 of this call gives another memory this text' },
      ],
    });
    expect(await stored()).toEqual(before);
    expect((await app.repositories.memories.findByIds(userId, [extra!.id]))[0]!.updated_at).toBeNull();
    expect(await app.repositories.narratives.get(userId)).toEqual(narrative);
    expect((await app.repositories.memories.findByIds(stranger, [strangers!.id]))[0]!.content).toBe('A stranger likes tea.');
  });

  it('writes nothing for a correction that changes nothing, and keeps the narrative fresh for metadata alone', async () => {
    const result = await app.engine.memories.update(userId, [
      { id: memories[0]!.id, content: ` ${FACTS[0]!} ` },
      { id: memories[1]!.id, metadata: {} },
      { id: memories[2]!.id, metadata: { tags: ['bees'] } },
    ]);

    expect(result).toMatchObject({ ok: true, narrativeInvalidated: false });
    expect((await stored()).map((memory) => memory.updated_at?.getTime() ?? null)).toEqual([null, null, clock.now(), null, null, null]);
    expect((await app.engine.status.status(userId)).narrative).toMatchObject({ state: 'fresh', memory_updated_since: false });
    expect(app.engine.runner.state(userId)).toBe('idle');
  });

  it('outdates a narrative whose memory was updated while the LLM wrote it, and rebuilds it in full', async () => {
    const release = provider.hold();
    const job = app.engine.runner.request(userId, 'manual', { force: true });
    await until(() => provider.waiting === 1);
    expect((await app.engine.memories.update(userId, [{ id: memories[4]!.id, content: 'Noor swims in the lake every evening.' }])).ok).toBe(true);

    release();
    // The update asked for the next version: it waits until the written one has been looked at.
    const releaseNext = provider.hold();
    expect((await job.done).status).toBe('written');
    const written = (await app.repositories.narratives.get(userId))!;
    expect(written.narrative_content).toContain('Noor swims in the sea every morning.');
    expect(written).toMatchObject({ version: 2, invalidated_reason: 'memory_updated' });
    expect((await app.engine.context.orchestrate(userId, 'swimming')).narrative).toMatchObject({ stale: true, stale_reasons: ['memory_updated'] });

    releaseNext();
    await app.engine.runner.onIdle();
    const rebuilt = (await app.repositories.narratives.get(userId))!;
    expect(rebuilt).toMatchObject({ version: 3, invalidated_at: null, build_kind: 'full' });
    expect(rebuilt.narrative_content).toContain('Noor swims in the lake every evening.');
    expect(rebuilt.narrative_content).not.toContain('in the sea');
  });

  it("never shares an analysis of a memory's old text with a conversation started after the update", async () => {
    const other = (await app.repositories.users.getOrCreate('no-narrative-yet')).id;
    const [first] = (await app.engine.memories.add(other, FACTS.map((content) => ({ content: content.replace('Noor', 'Rim') })), 'test')).added;
    const release = provider.hold();
    // A greeting is answered from the most recent memories, which an update does not reorder.
    const before = app.engine.context.orchestrate(other, 'Hello there!');
    await until(() => provider.calls.analysis === 1);
    await app.engine.memories.update(other, [{ id: first!.id, content: 'Rim repairs harpsichords for a living.' }]);
    const after = app.engine.context.orchestrate(other, 'Hello there!');
    await until(() => provider.calls.analysis === 2);
    release();
    expect((await before).source).toBe('deep_analysis');
    expect((await after).memories.map((memory) => memory.content)).toContain('Rim repairs harpsichords for a living.');
  });

  it('leaves the narrative stale without asking for a new one when told not to rewrite it', async () => {
    const result = await app.engine.memories.update(userId, [{ id: memories[0]!.id, content: 'Noor tunes pianos.' }], { rewriteNarrative: false });
    expect(result).toMatchObject({ ok: true, narrativeInvalidated: true });
    expect(app.engine.runner.state(userId)).toBe('idle');
    expect((await app.repositories.narratives.get(userId))?.invalidated_reason).toBe('memory_updated');
  });
});
