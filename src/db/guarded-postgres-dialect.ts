import { PostgresIntrospector, PostgresQueryCompiler, type Dialect, type Kysely } from 'kysely';
import { GuardedPostgresDriver } from './guarded-postgres-driver.js';
import type { SessionPool } from './session-pool.js';
import { TimeoutExemptMigrationAdapter } from './timeout-exempt-migration-adapter.js';

/**
 * PostgreSQL through postgres.js, each Kysely connection a session of a `SessionPool` that is
 * never used again once lost (`GuardedConnection`).
 */
export class GuardedPostgresDialect implements Dialect {
  readonly #pool: SessionPool;

  /** The pool is shared with whatever else takes sessions of its own (the user lock); the driver ends it. */
  constructor(pool: SessionPool) {
    this.#pool = pool;
  }

  createAdapter(): TimeoutExemptMigrationAdapter {
    return new TimeoutExemptMigrationAdapter();
  }

  createDriver(): GuardedPostgresDriver {
    return new GuardedPostgresDriver(this.#pool);
  }

  createIntrospector(db: Kysely<unknown>): PostgresIntrospector {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler(): PostgresQueryCompiler {
    return new PostgresQueryCompiler();
  }
}
