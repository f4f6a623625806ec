import { openDatabase, type DatabaseHandle, type DatabaseKind } from '../../src/db/open-database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createPostgresTestDatabase } from './postgres-test-databases.js';

/** Every database suite runs on embedded PGlite, and on PostgreSQL too when DATABASE_URL is set. */
export const DATABASES: DatabaseKind[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

/** A fresh, migrated database of its own; closing it throws the data away. */
export async function openTestDatabase(kind: DatabaseKind): Promise<DatabaseHandle> {
  if (kind === 'pglite') {
    const handle = await openDatabase({ dataDir: 'memory://', poolSize: 1 });
    await migrateToLatest(handle.db);
    return handle;
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
