import { PGlite } from '@electric-sql/pglite';
import { migrateToLatest } from '../../src/db/migrate.js';
import { openDatabase, PGLITE_OPTIONS, pgliteHandle, type DatabaseHandle, type DatabaseKind } from '../../src/db/open-database.js';
import { createPostgresTestDatabase } from './postgres-test-databases.js';

/** Every database suite runs on embedded PGlite, and on PostgreSQL too when DATABASE_URL is set. */
export const DATABASES: DatabaseKind[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

let migratedPglite: Promise<Blob> | undefined;

/** One migrated PGlite data directory per test worker; each test database starts from a copy. */
function migratedPgliteSnapshot(): Promise<Blob> {
  migratedPglite ??= (async () => {
    const pglite = await PGlite.create(PGLITE_OPTIONS);
    const handle = pgliteHandle(pglite, 'memory://');
    await migrateToLatest(handle.db);
    const snapshot = await pglite.dumpDataDir('none');
    await handle.close();
    return snapshot;
  })();
  return migratedPglite;
}

/** A fresh, migrated database of its own; closing it throws the data away. */
export async function openTestDatabase(kind: DatabaseKind): Promise<DatabaseHandle> {
  if (kind === 'pglite') {
    const pglite = await PGlite.create({ ...PGLITE_OPTIONS, loadDataDir: await migratedPgliteSnapshot() });
    return pgliteHandle(pglite, 'memory://');
  }
  const { url, drop } = await createPostgresTestDatabase();
  const handle = await openDatabase({ databaseUrl: url, dataDir: '', poolSize: 4 });
  return {
    ...handle,
    close: async () => {
      await handle.close();
      await drop();
    },
  };
}
