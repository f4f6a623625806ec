import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import postgres from 'postgres';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { openDatabase } from '../../src/db/open-database.js';
import { USER_CHANGE_FEED_APPLICATION_NAME } from '../../src/db/user-change-feed.js';
import { importMemories } from '../../src/engine/import-memories.js';
import { OfflineProvider } from '../../src/llm/offline/offline-provider.js';
import { MemoryIndex } from '../../src/search/memory-index.js';
import { CLI_PATH } from '../support/cli.js';
import { LOCOMO_MEMORIES } from '../support/locomo.js';
import { callTool } from '../support/mcp-test-client.js';
import { createPostgresTestDatabase } from '../support/postgres-test-databases.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const USER = 'locomo-26-caroline';

async function tierCount(app: App, result: 'hit' | 'miss'): Promise<number> {
  return app.engine.metrics.count(app.engine.metrics.hotTierRequests, { result });
}

/** Resolves once the tier has dropped the user `times` times from now on. */
function droppedTimes(app: App, userId: string, times: number): Promise<void> {
  const invalidate = app.engine.tier.invalidate.bind(app.engine.tier);
  let seen = 0;
  return new Promise((resolve) => {
    app.engine.tier.invalidate = (id: string) => {
      invalidate(id);
      if (id === userId && ++seen === times) {
        app.engine.tier.invalidate = invalidate;
        resolve();
      }
    };
  });
}

describe.each(DATABASES)('the hot tier on %s', (kind) => {
  let app: App;
  let userId: string;

  beforeAll(async () => {
    app = await openTestApp(kind, {}, { provider: new OfflineProvider() });
    await importMemories(app.repositories, LOCOMO_MEMORIES, { maxChars: 10_000, batchSize: 500 });
    userId = (await app.repositories.users.findByExternalId(USER))!.id;
    // The generation drops the user from the tier itself, and again when its write is announced.
    const dropped = droppedTimes(app, userId, 2);
    await app.engine.runner.request(userId, 'miss').done;
    await dropped;
  });
  afterAll(() => app.close({ graceMs: 0 }));

  it('answers repeated conversation starts from memory, reading the database once', async () => {
    await app.engine.context.orchestrate(userId, 'How is the adoption going?');
    const [hits, misses] = [await tierCount(app, 'hit'), await tierCount(app, 'miss')];
    for (let call = 0; call < 20; call++) {
      const answer = await app.engine.context.orchestrate(userId, 'How is the adoption going?');
      expect(answer.source).toBe('cache');
      expect(answer.memories.length).toBeGreaterThan(0);
    }
    expect(await tierCount(app, 'hit')).toBe(hits + 20);
    expect(await tierCount(app, 'miss')).toBe(misses);
  });

  it('attaches a memory added through the engine to the very next answer', async () => {
    await app.engine.context.orchestrate(userId, 'warm up');
    await app.engine.memories.add(userId, [{ content: 'Caroline bought a bright yellow kayak named Sunflower.' }], 'test');
    const answer = await app.engine.context.orchestrate(userId, 'Tell me about the yellow kayak');
    expect(answer.memories[0]?.content).toBe('Caroline bought a bright yellow kayak named Sunflower.');
  });

  it('never attaches a deleted memory, not even on the call right after the deletion', async () => {
    const [attached] = (await app.engine.context.orchestrate(userId, 'yellow kayak Sunflower')).memories;
    await app.engine.memories.delete(userId, [attached!.id]);
    const answer = await app.engine.context.orchestrate(userId, 'yellow kayak Sunflower');
    expect(answer.memories.map((memory) => memory.id)).not.toContain(attached!.id);
  });

  it("attaches an updated memory's new text, never its old one, on the very next answer", async () => {
    const [attached] = (await app.engine.context.orchestrate(userId, 'adoption agency meeting')).memories;
    await app.engine.memories.update(userId, [{ id: attached!.id, content: 'Caroline met a lighthouse keeper in Galway.' }]);
    const answer = await app.engine.context.orchestrate(userId, 'lighthouse keeper in Galway');
    expect(answer.memories[0]).toMatchObject({ id: attached!.id, content: 'Caroline met a lighthouse keeper in Galway.' });
    expect(answer.memories.map((memory) => memory.content)).not.toContain(attached!.content);
    // The narrative built from the old text is being rewritten; the next test needs it written.
    await app.engine.runner.onIdle();
  });

  it('ranks, after adds, deletions and updates, exactly as an index built afresh from the database', async () => {
    const query = 'Did Caroline take the yellow kayak to the support group?';
    const ranked = (index: MemoryIndex<{ id: string; content: string; created_at: Date }>) =>
      index.rank(query, 20).map(({ memory, score }) => [memory.id, score]);
    ranked((await app.engine.tier.get(userId)).index);
    await app.engine.memories.add(userId, [{ content: 'Caroline paddled the yellow kayak to the support group picnic.' }], 'test');
    ranked((await app.engine.tier.get(userId)).index);
    const [best] = await app.engine.memories.search(userId, 'support group', 1);
    await app.engine.memories.delete(userId, [best!.id]);
    await app.engine.memories.add(userId, [{ content: 'Caroline took the kayak out with the support group again.' }], 'test');
    ranked((await app.engine.tier.get(userId)).index);
    const [second] = await app.engine.memories.search(userId, 'support group', 1);
    await app.engine.memories.update(userId, [{ id: second!.id, content: 'Caroline skipped the support group to paddle the kayak.' }]);
    const held = (await app.engine.tier.get(userId)).index;
    const stored = await app.repositories.memories.recent(userId, { limit: 10_000 });
    expect(held.size).toBe(stored.length);
    expect(ranked(held)).toEqual(ranked(MemoryIndex.build(stored)));
    await app.engine.runner.onIdle();
  });

  it('hears of a change committed outside the engine and never serves the old narrative after it', async () => {
    // The earlier tests' additions start revisions, which would write over the operator's edit.
    await until(() => app.engine.runner.size.queued + app.engine.runner.size.running === 0);
    await app.engine.context.orchestrate(userId, 'warm up');
    const invalidated: number[] = [];
    const invalidate = app.engine.tier.invalidate.bind(app.engine.tier);
    app.engine.tier.invalidate = (id: string) => {
      if (id === userId) invalidated.push(performance.now());
      invalidate(id);
    };
    try {
      await sql`update user_narratives set narrative_content = 'Edited by an operator.' where user_id = ${userId}`.execute(app.database.db);
      await until(async () => {
        await app.engine.context.orchestrate(userId, 'hello');
        return invalidated.length > 0;
      });
      for (let call = 0; call < 20; call++) {
        expect((await app.engine.context.orchestrate(userId, 'hello')).text).toContain('Edited by an operator.');
      }
    } finally {
      app.engine.tier.invalidate = invalidate;
    }
  });
});

describe.each(DATABASES)('an app that serves no requests on %s', (kind) => {
  it('holds no user and reads the database on every call', async () => {
    const app = await openTestApp(kind, {}, { provider: new OfflineProvider(), holdUsers: false });
    try {
      const user = await app.repositories.users.getOrCreate('one-shot');
      await app.engine.memories.add(user.id, [{ content: 'Likes quiet mornings.' }], 'test');
      for (let call = 0; call < 3; call++) await app.engine.context.orchestrate(user.id, 'mornings');
      expect(await tierCount(app, 'miss')).toBe(3);
      expect(await tierCount(app, 'hit')).toBe(0);
      expect(app.engine.tier.size.users).toBe(0);
    } finally {
      await app.close({ graceMs: 0 });
    }
  });
});

describe.skipIf(!process.env.DATABASE_URL)('the hot tiers of two processes sharing one PostgreSQL database', () => {
  let database: { url: string; drop: () => Promise<void> };
  let writer: App;
  let reader: Client;
  let userId: string;

  const versionServed = async (): Promise<number | undefined> => {
    const answer = await callTool(reader, 'orchestrate_smart_context', { user_message: 'What is new with Caroline?' });
    return (answer.structuredContent as { narrative: { version: number } | null }).narrative?.version;
  };

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
    const handle = await openDatabase({ databaseUrl: database.url, dataDir: '', poolSize: 4 });
    writer = await openApp(loadConfig({}), pino({ level: 'silent' }), { database: handle, migrate: false, provider: new OfflineProvider() });
    await importMemories(writer.repositories, LOCOMO_MEMORIES, { maxChars: 10_000, batchSize: 500 });
    userId = (await writer.repositories.users.findByExternalId(USER))!.id;
    await writer.engine.runner.request(userId, 'miss').done;

    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_PATH, 'serve', '--stdio', '--user', USER],
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url, LOG_LEVEL: 'warn' },
      stderr: 'pipe',
    });
    reader = new Client({ name: 'reader', version: '0.0.0' });
    await reader.connect(transport);
  });
  afterEach(() => writer.engine.runner.onIdle());
  afterAll(async () => {
    await reader?.close();
    await writer?.close({ graceMs: 0 });
    await database?.drop();
  });

  it('serves the new version in the other process once it is written, and never the old one after', async () => {
    expect(await versionServed()).toBe(1);
    expect(await versionServed()).toBe(1);
    const regenerated = await writer.engine.regeneration.regenerate(userId, { wait: true });
    expect(regenerated).toMatchObject({ state: 'completed', version: 2 });
    await until(async () => (await versionServed()) === 2);
    for (let call = 0; call < 50; call++) expect(await versionServed()).toBe(2);
  });

  it('stops attaching a memory deleted in the other process', async () => {
    const answer = await callTool(reader, 'orchestrate_smart_context', { user_message: 'LGBTQ support group' });
    const [first] = (answer.structuredContent as { memories: { id: string }[] }).memories;
    await writer.engine.memories.delete(userId, [first!.id]);
    const attachedIds = async () => {
      const next = await callTool(reader, 'orchestrate_smart_context', { user_message: 'LGBTQ support group' });
      return (next.structuredContent as { memories: { id: string }[] }).memories.map((memory) => memory.id);
    };
    await until(async () => !(await attachedIds()).includes(first!.id));
    for (let call = 0; call < 20; call++) expect(await attachedIds()).not.toContain(first!.id);
  });
});

describe.skipIf(!process.env.DATABASE_URL)('the hot tier when its listening connection drops on PostgreSQL', () => {
  let app: App;
  let admin: postgres.Sql;
  let database: string;
  let userId: string;

  /** Backends of the app's change feed, by the name it connects with. */
  async function listeners(): Promise<number[]> {
    const rows = await admin<{ pid: number }[]>`
      select pid from pg_stat_activity where datname = ${database} and application_name = ${USER_CHANGE_FEED_APPLICATION_NAME}`;
    return rows.map((row) => row.pid);
  }

  beforeAll(async () => {
    app = await openTestApp('postgres', {}, { provider: new OfflineProvider() });
    admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    database = (await sql<{ name: string }>`select current_database() as name`.execute(app.database.db)).rows[0]!.name;
    const user = await app.repositories.users.getOrCreate('dana');
    userId = user.id;
    const facts = ['Dana builds boats.', 'Dana has a son, Ilan.', 'Dana runs at night.', 'Dana studies Greek.', 'Dana lives by the sea.'];
    await app.engine.memories.add(userId, facts.map((content) => ({ content })), 'test');
    await app.engine.runner.request(userId, 'miss').done;
  });
  afterAll(async () => {
    await admin.unsafe(`alter database ${database} allow_connections true`);
    await admin.end();
    await app.close({ graceMs: 0 });
  });

  it('empties at once, so the next read goes to the database before the listener is back', async () => {
    await app.engine.context.orchestrate(userId, 'boats');
    await app.engine.context.orchestrate(userId, 'boats');
    expect(app.engine.tier.size.users).toBe(1);
    // Every pooled session connected now: while the database refuses new connections, reads still run and the listener cannot return.
    await Promise.all([1, 2, 3, 4].map(() => sql`select pg_sleep(0.05)`.execute(app.database.db)));
    const [listener] = await listeners();
    await admin.unsafe(`alter database ${database} allow_connections false`);
    try {
      await admin`select pg_terminate_backend(${listener!})`;
      await until(() => app.engine.tier.size.users === 0);
      // Announced to nobody: the listener is away.
      await sql`update user_narratives set narrative_content = 'Edited while the listener was away.' where user_id = ${userId}`.execute(app.database.db);

      const misses = await tierCount(app, 'miss');
      const answer = await app.engine.context.orchestrate(userId, 'boats');
      expect(answer.text).toContain('Edited while the listener was away.');
      expect(await tierCount(app, 'miss')).toBe(misses + 1);
      expect(await listeners()).toEqual([]);
    } finally {
      await admin.unsafe(`alter database ${database} allow_connections true`);
    }

    await until(async () => (await listeners()).length === 1);
    await until(async () => {
      await app.engine.context.orchestrate(userId, 'boats');
      return app.engine.tier.size.users === 1;
    });
    const hits = await tierCount(app, 'hit');
    await app.engine.context.orchestrate(userId, 'boats');
    expect(await tierCount(app, 'hit')).toBe(hits + 1);
  });
});
