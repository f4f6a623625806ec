import { PostgresAdapter, sql, type Kysely, type MigrationLockOptions } from 'kysely';

/**
 * Kysely's PostgreSQL adapter with migrations exempt from the sessions' `statement_timeout`: the
 * migration lock is meant to wait for another process's migrations (up to Kysely's own hour-long
 * `lock_timeout`), and a migration may take longer than any request should.
 */
export class TimeoutExemptMigrationAdapter extends PostgresAdapter {
  override async acquireMigrationLock(db: Kysely<unknown>, options: MigrationLockOptions): Promise<void> {
    await sql`set statement_timeout = 0`.execute(db);
    await super.acquireMigrationLock(db, options);
  }

  override async releaseMigrationLock(db: Kysely<unknown>, options: MigrationLockOptions): Promise<void> {
    await super.releaseMigrationLock(db, options);
    // Back to the value the session started with, before the connection returns to the pool.
    await sql`reset statement_timeout`.execute(db);
  }
}
