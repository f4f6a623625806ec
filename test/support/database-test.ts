import { test } from 'vitest';
import type { DatabaseHandle, DatabaseKind } from '../../src/db/open-database.js';
import { RepositorySet } from '../../src/repositories/repository-set.js';
import { ManualClock } from './manual-clock.js';
import { openTestDatabase } from './test-databases.js';

// Vitest allows file-scoped fixtures only at a file's top level, so the test API is built here once
// and each `describe` picks its database kind by overriding `databaseKind`.
const withDatabases = test
  .extend('databaseKind', 'pglite' as DatabaseKind)
  .extend('ownDatabase', false)
  // eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from its first parameter, which must be destructured.
  .extend('sharedDatabases', { scope: 'file' }, async ({}, { onCleanup }) => {
    const opened = new Map<DatabaseKind, Promise<DatabaseHandle>>();
    onCleanup(async () => {
      for (const database of opened.values()) await (await database).close();
    });
    return (kind: DatabaseKind): Promise<DatabaseHandle> => {
      const database = opened.get(kind) ?? openTestDatabase(kind);
      opened.set(kind, database);
      return database;
    };
  })
  .extend('database', async ({ databaseKind, ownDatabase, sharedDatabases }, { onCleanup }) => {
    if (!ownDatabase) return sharedDatabases(databaseKind);
    const database = await openTestDatabase(databaseKind);
    onCleanup(() => database.close());
    return database;
  })
  // Far from the wall clock, so a time taken from anywhere but the clock shows.
  .extend('clock', () => new ManualClock(Date.UTC(2004, 1, 29, 12)))
  .extend('repositories', ({ database, clock }) => new RepositorySet(database.db, clock));

/**
 * `it` with a migrated test database of the given kind (`database`) and the repositories over it
 * (`repositories`) on a manual clock of the test's own (`clock`); call it inside a `describe`.
 * The tests of a file share one database per kind (opening a PGlite copy takes more than a
 * second); `ownDatabase` gives each test an empty one of its own, for tests that see every user.
 */
export function databaseTest(kind: DatabaseKind, { ownDatabase = false }: { ownDatabase?: boolean } = {}) {
  return withDatabases.override({ databaseKind: kind, ownDatabase });
}
