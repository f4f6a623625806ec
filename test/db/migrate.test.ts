import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
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
