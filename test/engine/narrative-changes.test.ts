import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import type { MemoryRow } from '../../src/db/database-schema.js';
import type { TextChange } from '../../src/engine/narrative-changes.js';
import { wordChanges } from '../../src/engine/narrative-changes.js';
import { OfflineProvider } from '../../src/llm/offline/offline-provider.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';

const FACTS = [
  'Noor repairs church organs for a living.',
  'Noor has a brother called Sami who is a pilot.',
  'Noor keeps bees on her allotment.',
  'Noor is learning Icelandic.',
  'Noor swims in the sea every morning.',
];

/** The text a list of changes was made from (`removed` and `same`) and the one it leads to (`added` and `same`). */
function sides(changes: readonly TextChange[]): { before: string; after: string } {
  return {
    before: changes.filter((part) => part.change !== 'added').map((part) => part.text).join(''),
    after: changes.filter((part) => part.change !== 'removed').map((part) => part.text).join(''),
  };
}

describe('wordChanges', () => {
  it('gives the runs of words kept, added and removed, from which both texts can be read again', () => {
    const changes = wordChanges('Noor lives in Lisbon and paints.', 'Noor lives in Berlin and paints at night.');
    expect(changes.filter((part) => part.change !== 'same')).toEqual([
      { change: 'removed', text: 'Lisbon' },
      { change: 'added', text: 'Berlin' },
      { change: 'added', text: ' at night' },
    ]);
    expect(sides(changes)).toEqual({ before: 'Noor lives in Lisbon and paints.', after: 'Noor lives in Berlin and paints at night.' });
  });
});

describe.each(DATABASES)('what changed in the last regeneration, on %s', (kind) => {
  let app: App;
  let clock: ManualClock;
  let userId: string;
  let memories: MemoryRow[];

  async function regenerate(): Promise<void> {
    await clock.advance(60_000);
    await app.engine.runner.request(userId, 'manual', { force: true }).done;
  }

  let users = 0;

  beforeAll(async () => {
    clock = new ManualClock(new Date('2026-03-01T12:00:00Z'));
    app = await openTestApp(kind, {}, { provider: new OfflineProvider(), clock });
  });
  afterAll(() => app.close({ graceMs: 0 }));

  beforeEach(async () => {
    users += 1;
    userId = (await app.repositories.users.getOrCreate(`noor-${users}`)).id;
    memories = (await app.engine.memories.add(userId, FACTS.map((content) => ({ content })), 'test')).added;
    await app.engine.runner.request(userId, 'miss').done;
  });

  it('has nothing to show for a first version', async () => {
    expect((await app.engine.status.status(userId)).changes).toBeNull();
  });

  it('shows the memories added, corrected and deleted since the previous version, and how its words changed', async () => {
    const before = (await app.repositories.narratives.get(userId))!;
    await clock.advance(1_000);
    const [added] = (await app.engine.memories.add(userId, [{ content: 'Noor adopted a greyhound called Pip.' }], 'test')).added;
    // A deletion rebuilds the narrative it outdates at once.
    await app.engine.memories.delete(userId, [memories[4]!.id]);
    await app.engine.runner.onIdle();

    const { changes } = await app.engine.status.status(userId);
    expect(changes).toMatchObject({
      from_version: before.version,
      from_generated_at: before.generated_at.toISOString(),
      to_version: before.version + 1,
      memories: { added: 1, updated: 0, deleted: 1, expired: 0 },
      added: [{ id: added!.id, content: 'Noor adopted a greyhound called Pip.', updated_at: null }],
      updated: [],
    });
    // The version replaced used the deleted memory: its text is not kept.
    expect(changes!.text).toBeNull();

    await clock.advance(1_000);
    await app.engine.memories.add(userId, [{ content: 'Noor won a regional beekeeping prize.' }], 'test');
    const second = (await app.repositories.narratives.get(userId))!;
    await regenerate();
    const next = (await app.engine.status.status(userId)).changes!;
    expect(next).toMatchObject({ from_version: second.version, memories: { added: 1, updated: 0, deleted: 0, expired: 0 } });
    const current = (await app.repositories.narratives.get(userId))!;
    expect(sides(next.text!)).toEqual({ before: second.narrative_content, after: current.narrative_content });
    expect(next.text!.filter((part) => part.change === 'added').map((part) => part.text).join(' ')).toContain('beekeeping prize');
  });

  it('drops the previous text at once when a memory it was built from is deleted', async () => {
    await app.engine.memories.add(userId, [{ content: 'Noor plays the oboe in a town band.' }], 'test');
    await regenerate();
    expect((await app.engine.status.status(userId)).changes!.text).not.toBeNull();

    const previous = (await app.repositories.narratives.getPrevious(userId))!;
    expect(previous.previous_source_memory_ids).toContain(memories[1]!.id);
    await app.engine.memories.delete(userId, [memories[1]!.id]);

    expect((await app.repositories.narratives.getPrevious(userId))!.previous_content).toBeNull();
    expect((await app.engine.status.status(userId)).changes!.text).toBeNull();
  });

  it('drops the previous text at once when a memory it was built from is corrected, and counts the correction', async () => {
    await regenerate();
    expect((await app.repositories.narratives.getPrevious(userId))!.previous_content).toContain('Sami who is a pilot');

    await clock.advance(1_000);
    // A correction rebuilds the narrative it outdates at once.
    await app.engine.memories.update(userId, [{ id: memories[1]!.id, content: 'Noor has a brother called Sami who flies gliders.' }]);
    expect((await app.repositories.narratives.getPrevious(userId))!.previous_content).toBeNull();

    await app.engine.runner.onIdle();
    const { changes } = await app.engine.status.status(userId);
    expect(changes).toMatchObject({ memories: { added: 0, updated: 1, deleted: 0, expired: 0 }, updated: [{ id: memories[1]!.id }] });
    // The version replaced was outdated by the correction, so its text, which quoted the old one, is not kept.
    expect(changes!.text).toBeNull();
    expect(JSON.stringify(await app.repositories.narratives.getPrevious(userId))).not.toContain('is a pilot');
  });

  it('hides the previous text from the moment a memory it was built from expires, and the sweep drops it', async () => {
    const expiresAt = new Date(clock.now() + 3_600_000);
    await app.engine.memories.add(userId, [{ content: 'Noor is in Reykjavik this week for an organ festival.', expires_at: expiresAt }], 'test');
    await regenerate();
    await app.engine.memories.add(userId, [{ content: 'Noor plays the oboe in a town band.' }], 'test');
    await regenerate();
    expect((await app.engine.status.status(userId)).changes!.text).not.toBeNull();

    await clock.advance(3_600_000);
    expect((await app.engine.status.status(userId)).changes!.text).toBeNull();
    await app.repositories.narratives.markExpiredSources(new Date(clock.now()));
    expect((await app.repositories.narratives.getPrevious(userId))!.previous_content).toBeNull();
  });

  it('keeps the served narrative free of the previous version: reading it does not carry the old text', async () => {
    await app.engine.memories.add(userId, [{ content: 'Noor plays the oboe in a town band.' }], 'test');
    await regenerate();
    const served = (await app.repositories.narratives.get(userId))!;
    expect(Object.keys(served).filter((column) => column.startsWith('previous_'))).toEqual([]);
  });
});
