import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema } from '../db/database-schema.js';

/** Whether the database answers at all, for health checks. */
export class HealthRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  /** Resolves once the database has answered a trivial query; rejects with why it could not. */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }
}
