import { randomUUID } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inject } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { createPglite } from '../../src/db/create-pglite.js';
import { openDatabase, pgliteHandle, type DatabaseHandle, type DatabaseKind } from '../../src/db/open-database.js';
import { createPostgresTestDatabase } from './postgres-test-databases.js';

/** Every database suite runs on embedded PGlite, and on PostgreSQL too when DATABASE_URL is set. */
export const DATABASES: DatabaseKind[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];

let migratedPglite: Promise<Blob> | undefined;

/**
 * A migrated PGlite data directory, as a tarball each test database starts from a copy of. Made
 * once per run (PGlite's initdb and the migrations take seconds) by the first test file to ask,
 * and read from the run's directory by the others.
 */
export function migratedPgliteSnapshot(): Promise<Blob> {
  migratedPglite ??= (async () => {
    const path = join(inject('runDirectory'), 'migrated-pglite.tar');
    try {
      return new Blob([await readFile(path)]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const pglite = await createPglite();
    const handle = pgliteHandle(pglite, 'memory://');
    await migrateToLatest(handle.db);
    const snapshot = await pglite.dumpDataDir('none');
    await handle.close();
    // Written beside it, then renamed: a file reading it sees all of it or none. Files that miss it
    // at the same moment each write the same snapshot.
    const partial = `${path}.${randomUUID()}`;
    await writeFile(partial, new Uint8Array(await snapshot.arrayBuffer()));
    await rename(partial, path);
    return snapshot;
  })();
  return migratedPglite;
}

/** A fresh, migrated database of its own; closing it throws the data away. */
export async function openTestDatabase(kind: DatabaseKind): Promise<DatabaseHandle> {
  if (kind === 'pglite') {
    const pglite = await createPglite(undefined, { loadDataDir: await migratedPgliteSnapshot() });
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
