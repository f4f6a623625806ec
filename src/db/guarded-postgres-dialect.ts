import { PostgresIntrospector, PostgresQueryCompiler, type Dialect, type Kysely } from 'kysely';
import { GuardedPostgresDriver } from './guarded-postgres-driver.js';
import { SessionPool, type SessionPoolOptions } from './session-pool.js';
import { TimeoutExemptMigrationAdapter } from './timeout-exempt-migration-adapter.js';

/**
 * PostgreSQL through postgres.js, each Kysely connection a session of a `SessionPool` that is
 * never used again once lost (`GuardedConnection`).
 */
export class GuardedPostgresDialect implements Dialect {
  readonly #url: string;
  readonly #options: SessionPoolOptions;

  constructor(url: string, options: SessionPoolOptions) {
    this.#url = url;
    this.#options = options;
  }

  createAdapter(): TimeoutExemptMigrationAdapter {
    return new TimeoutExemptMigrationAdapter();
  }

  createDriver(): GuardedPostgresDriver {
    return new GuardedPostgresDriver(new SessionPool(this.#url, this.#options));
  }

  createIntrospector(db: Kysely<unknown>): PostgresIntrospector {
    return new PostgresIntrospector(db);
  }

  createQueryCompiler(): PostgresQueryCompiler {
    return new PostgresQueryCompiler();
  }
}
