import { Migrator, type Kysely, type MigrationResult } from 'kysely';
import { migrations } from '../../migrations/index.js';
import type { DatabaseSchema } from './database-schema.js';

export interface MigrationState {
  name: string;
  appliedAt: Date | null;
}

function migratorFor(db: Kysely<DatabaseSchema>): Migrator {
  // Kysely's Postgres adapter takes an advisory lock around the run, so two processes
  // starting at once apply each migration exactly once.
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Applies every pending migration; throws with the failing migration's error. */
export async function migrateToLatest(db: Kysely<DatabaseSchema>): Promise<MigrationResult[]> {
  const { error, results = [] } = await migratorFor(db).migrateToLatest();
  if (error !== undefined) throw migrationFailure(error, results.find((result) => result.status === 'Error')?.migrationName);
  return results;
}

/** The migrator's error, saying which migration failed when it was one of them. */
function migrationFailure(error: unknown, failed: string | undefined): unknown {
  if (failed === undefined) return error;
  return new Error(`migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}

export async function migrationStatus(db: Kysely<DatabaseSchema>): Promise<MigrationState[]> {
  const all = await migratorFor(db).getMigrations();
  return all.map((migration) => ({ name: migration.name, appliedAt: migration.executedAt ?? null }));
}
