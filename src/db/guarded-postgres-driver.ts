import { CompiledQuery, PostgresDriver, type DatabaseConnection, type PostgresDialectConfig } from 'kysely';
import { GuardedConnection } from './guarded-connection.js';
import type { SessionPool } from './session-pool.js';

/** Kysely's PostgreSQL driver (its transaction and savepoint statements) over a `SessionPool`. */
export class GuardedPostgresDriver extends PostgresDriver {
  readonly #pool: SessionPool;

  constructor(pool: SessionPool) {
    // The pg pool of Kysely's driver is never made: every method that would use it is overridden.
    super({} as PostgresDialectConfig);
    this.#pool = pool;
  }

  override async init(): Promise<void> {}

  override async acquireConnection(): Promise<GuardedConnection> {
    return new GuardedConnection(await this.#pool.acquire());
  }

  /**
   * Kysely's own marks a pg connection for discarding when the rollback fails, which this one cannot
   * be: the TypeError would hide the error that caused the rollback. A lost session took its
   * transaction with it, so its failed rollback is no error at all.
   */
  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    try {
      await connection.executeQuery(CompiledQuery.raw('rollback'));
    } catch (error) {
      if (!(connection as GuardedConnection).isLost) throw error;
    }
  }

  override async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const { session, isLost } = connection as GuardedConnection;
    this.#pool.release(session, isLost);
  }

  override async destroy(): Promise<void> {
    await this.#pool.end();
  }
}
