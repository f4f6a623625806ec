import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { importMemories } from '../../src/engine/import-memories.js';
import { GatedOfflineProvider } from '../support/gated-offline-provider.js';
import { LOCOMO_MEMORIES } from '../support/locomo.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';

describe.each(DATABASES)('forgetting a memory on %s (offline provider, LoCoMo data)', (kind) => {
  let app: App;
  let userId: string;
  const provider = new GatedOfflineProvider();

  beforeAll(async () => {
    app = await openTestApp(kind, {}, { provider });
    await importMemories(app.repositories, LOCOMO_MEMORIES, { maxChars: 10_000, batchSize: 500 });
    userId = (await app.repositories.users.findByExternalId('locomo-26-caroline'))!.id;
  });
  afterAll(() => app.close({ graceMs: 0 }));

  it('removes the forgotten fact from the next narrative and serves the old one as stale until then', async () => {
    await app.engine.runner.request(userId, 'miss').done;
    const first = (await app.repositories.narratives.get(userId))!;
    const [usedId] = first.source_memory_ids;
    const [used] = await app.repositories.memories.findByIds(userId, [usedId!]);
    expect(first.narrative_content).toContain(used!.content.replace(/\.$/, ''));

    provider.close();
    const deleted = await app.engine.memories.delete(userId, [used!.id]);
    expect(deleted).toMatchObject({ deleted: [used!.id], narrativeInvalidated: true });

    const stale = await app.engine.context.orchestrate(userId, used!.content);
    expect(stale.source).toBe('stale_cache');
    expect(stale.narrative?.stale_reasons).toContain('memory_deleted');
    expect(stale.memories.map((memory) => memory.id)).not.toContain(used!.id);

    provider.open();
    await app.engine.runner.onIdle();
    const second = (await app.repositories.narratives.get(userId))!;
    expect(second.version).toBe(first.version + 1);
    expect(second.narrative_content).not.toContain(used!.content.replace(/\.$/, ''));
    expect(second.source_memory_ids).not.toContain(used!.id);
    expect((await app.engine.context.orchestrate(userId, 'hello')).source).toBe('cache');
  });
});
