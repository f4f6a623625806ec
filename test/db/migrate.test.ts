import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { migrateToLatest, migrationStatus } from '../../src/db/migrate.js';
import { openDatabase, type DatabaseHandle, type DatabaseKind } from '../../src/db/open-database.js';
import { createPostgresTestDatabase } from '../support/postgres-test-databases.js';
import { DATABASES } from '../support/test-databases.js';

interface EmptyDatabase {
  handle: DatabaseHandle;
  /** Another handle onto the same database; an embedded PGlite has only the one. */
  another(): Promise<DatabaseHandle>;
  close(): Promise<void>;
}

async function openEmptyDatabase(kind: DatabaseKind): Promise<EmptyDatabase> {
  if (kind === 'pglite') {
    const handle = await openDatabase({ dataDir: 'memory://', poolSize: 1 });
    return { handle, another: async () => handle, close: () => handle.close() };
  }
  const { url, drop } = await createPostgresTestDatabase({ empty: true });
  const handles = [await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 2 })];
  return {
    handle: handles[0]!,
    another: async () => {
      const handle = await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 2 });
      handles.push(handle);
      return handle;
    },
    close: async () => {
      await Promise.all(handles.map((handle) => handle.close()));
      await drop();
    },
  };
}

const MIGRATION_NAMES = Object.keys(migrations).sort();
const APPLIED = MIGRATION_NAMES.map((migrationName) => ({ migrationName, direction: 'Up', status: 'Success' }));

async function appliedMigrationNames(handle: DatabaseHandle): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(handle.db);
  return rows.map((row) => row.name);
}

describe.each(DATABASES)('migrations on %s', (kind) => {
  let database: EmptyDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it('reports every migration, starting with the initial schema, as pending on an empty database', async () => {
    database = await openEmptyDatabase(kind);
    expect(MIGRATION_NAMES[0]).toBe('0001-initial-schema');
    expect(await migrationStatus(database.handle.db)).toEqual(
      MIGRATION_NAMES.map((name) => ({ name, appliedAt: null })),
    );
  });

  it('applies each migration once, in order, and nothing on a second run', async () => {
    database = await openEmptyDatabase(kind);
    const db = database.handle.db;
    expect(await migrateToLatest(db)).toEqual(APPLIED);
    expect(await migrateToLatest(db)).toEqual([]);
    expect(await migrationStatus(db)).toEqual(MIGRATION_NAMES.map((name) => ({ name, appliedAt: expect.any(Date) })));
    expect(await appliedMigrationNames(database.handle)).toEqual(MIGRATION_NAMES);
    await expect(db.selectFrom('users').selectAll().execute()).resolves.toEqual([]);
  });

  it('applies each migration exactly once when two migrations start at the same time', async () => {
    database = await openEmptyDatabase(kind);
    const other = await database.another();
    const [first, second] = await Promise.all([migrateToLatest(database.handle.db), migrateToLatest(other.db)]);
    expect([...first, ...second]).toEqual(APPLIED);
    expect(await appliedMigrationNames(database.handle)).toEqual(MIGRATION_NAMES);
  });
});

describe.each(DATABASES)('numbering memories per user in commit order on %s', (kind) => {
  let database: EmptyDatabase | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it("numbers each user's existing memories in their old order and keeps what each narrative was built from, once however often it runs", async () => {
    database = await openEmptyDatabase(kind);
    const db = database.handle.db;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('0004-api-key-change-notifications')).error).toBeUndefined();
    await sql`insert into users (external_id) values ('ana'), ('ben'), ('cy')`.execute(db);
    // Told in turns, so each user's memories have far-apart global numbers; one of Ana's is forgotten.
    for (const [n, user] of ['ana', 'ben', 'ana', 'ben', 'ana', 'ana', 'ben'].entries()) {
      await sql`insert into memories (user_id, content, content_hash, source, deleted_at)
        select id, ${`${user} ${n}`}, ${`${user}-${n}`}, 'test', ${n === 2 ? new Date() : null} from users where external_id = ${user}`.execute(db);
    }
    // Ana's narrative was built from her memories up to global number 5 (her third), Ben's from all of his.
    await sql`insert into user_narratives (user_id, narrative_content, provider, model, memory_count, generation_ms, source_max_seq, memories_added_since)
      select id, 'story', 'test', 'test', 2, 1, case external_id when 'ana' then 5 else 7 end, case external_id when 'ana' then 1 else 0 end
      from users where external_id in ('ana', 'ben')`.execute(db);

    const state = async () => ({
      memories: (
        await sql<{ content: string; seq: string }>`select content, seq from memories order by content`.execute(db)
      ).rows.map((row) => `${row.content}: ${row.seq}`),
      users: (
        await sql<{ external_id: string; memory_seq: string }>`select external_id, memory_seq from users order by external_id`.execute(db)
      ).rows.map((row) => `${row.external_id}: ${row.memory_seq}`),
      narratives: (
        await sql<{ external_id: string; source_max_seq: string }>`
          select external_id, source_max_seq from user_narratives join users on users.id = user_id order by external_id`.execute(db)
      ).rows.map((row) => `${row.external_id}: ${row.source_max_seq}`),
    });
    await migrateToLatest(db);
    const migrated = await state();
    expect(migrated).toEqual({
      memories: ['ana 0: 1', 'ana 2: 2', 'ana 4: 3', 'ana 5: 4', 'ben 1: 1', 'ben 3: 2', 'ben 6: 3'],
      users: ['ana: 4', 'ben: 3', 'cy: 0'],
      narratives: ['ana: 3', 'ben: 3'],
    });
    await migrations['0005-memory-numbers-in-commit-order']!.up(db);
    expect(await state()).toEqual(migrated);
    await expect(
      sql`insert into memories (user_id, content, content_hash, source, seq) select id, 'again', 'again', 'test', 4 from users where external_id = 'ana'`.execute(db),
    ).rejects.toThrow(/memories_user_seq_key/);
  });

  it('records every narrative written before build kinds as a full build at its generation time', async () => {
    database = await openEmptyDatabase(kind);
    const db = database.handle.db;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('0005-memory-numbers-in-commit-order')).error).toBeUndefined();
    await sql`insert into users (external_id) values ('ana')`.execute(db);
    const generatedAt = new Date('2026-02-03T04:05:06Z');
    await sql`insert into user_narratives (user_id, narrative_content, provider, model, memory_count, generation_ms, generated_at)
      select id, 'story', 'test', 'test', 2, 1, ${generatedAt} from users`.execute(db);

    await migrateToLatest(db);

    const { rows } = await sql<{ build_kind: string; last_full_build_at: Date; input_tokens: number | null }>`
      select build_kind, last_full_build_at, input_tokens from user_narratives`.execute(db);
    expect(rows).toEqual([{ build_kind: 'full', last_full_build_at: generatedAt, input_tokens: null }]);
    await expect(sql`update user_narratives set build_kind = 'partial'`.execute(db)).rejects.toThrow(/check/);
  });

  it('gives memories stored before updates an update time of null', async () => {
    database = await openEmptyDatabase(kind);
    const db = database.handle.db;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('0007-narrative-build-kinds')).error).toBeUndefined();
    await sql`insert into users (external_id) values ('ana')`.execute(db);
    await sql`insert into memories (user_id, content, content_hash, source, seq) select id, 'old', 'old', 'test', 1 from users`.execute(db);

    await migrateToLatest(db);

    const { rows } = await sql<{ content: string; updated_at: Date | null }>`select content, updated_at from memories`.execute(db);
    expect(rows).toEqual([{ content: 'old', updated_at: null }]);
  });

  it('gives memories and narratives stored before expiry no expiry', async () => {
    database = await openEmptyDatabase(kind);
    const db = database.handle.db;
    const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('0008-memory-updates')).error).toBeUndefined();
    await sql`insert into users (external_id) values ('ana')`.execute(db);
    await sql`insert into memories (user_id, content, content_hash, source, seq) select id, 'old', 'old', 'test', 1 from users`.execute(db);
    await sql`insert into user_narratives (user_id, narrative_content, provider, model, memory_count, generation_ms)
      select id, 'story', 'test', 'test', 1, 1 from users`.execute(db);

    await migrateToLatest(db);

    const { rows } = await sql<{ expires_at: Date | null; source_expires_at: Date | null }>`
      select expires_at, source_expires_at from memories, user_narratives`.execute(db);
    expect(rows).toEqual([{ expires_at: null, source_expires_at: null }]);
  });
});

describe('a PGlite data directory', () => {
  let dataDir: string | undefined;
  afterEach(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it('keeps its schema and data after the database is closed and opened again', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'narrative-mcp-migrate-'));
    const first = await openDatabase({ dataDir, poolSize: 1 });
    await migrateToLatest(first.db);
    await first.db.insertInto('users').values({ external_id: 'persisted', display_name: 'Persisted' }).execute();
    await first.close();

    const reopened = await openDatabase({ dataDir, poolSize: 1 });
    try {
      expect(await migrateToLatest(reopened.db)).toEqual([]);
      expect(await reopened.db.selectFrom('users').select(['external_id', 'display_name']).execute()).toEqual([
        { external_id: 'persisted', display_name: 'Persisted' },
      ]);
    } finally {
      await reopened.close();
    }
  });

  it('is created, with its parent folders, when it does not exist yet', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'narrative-mcp-migrate-'));
    const handle = await openDatabase({ dataDir: join(dataDir, 'nested', 'data'), poolSize: 1 });
    try {
      expect(handle).toMatchObject({ kind: 'pglite', location: join(dataDir, 'nested', 'data') });
      expect(await migrateToLatest(handle.db)).toEqual(APPLIED);
    } finally {
      await handle.close();
    }
  });
});
