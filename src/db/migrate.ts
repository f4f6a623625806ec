import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import { migrations } from '../../migrations/index.js';

export interface MigrationState {
  name: string;
  appliedAt: Date | null;
}

function migratorFor(db: Kysely<any>): Migrator {
  // Kysely's Postgres adapter takes an advisory lock around the run, so two processes
  // starting at once apply each migration exactly once.
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Applies every pending migration; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResult[]> {
  const { error, results = [] } = await migratorFor(db).migrateToLatest();
  if (error) {
    const failed = results.find((result) => result.status === 'Error')?.migrationName;
    if (!failed) throw error;
    throw new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return results;
}

export async function migrationStatus(db: Kysely<any>): Promise<MigrationState[]> {
  const all = await migratorFor(db).getMigrations();
  return all.map((migration) => ({ name: migration.name, appliedAt: migration.executedAt ?? null }));
}
