import { sql, type Kysely } from 'kysely';
import type { DatabaseSchema, GenerationStateRow } from '../db/database-schema.js';

export interface GenerationFailure {
  at: Date;
  kind: string;
  message: string;
}

/** Per-user bookkeeping of background generation: attempts, the last failure, manual requests. */
export class GenerationStateRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  get(userId: string): Promise<GenerationStateRow | undefined> {
    return this.db.selectFrom('narrative_generation_state').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }

  async recordAttempt(userId: string, at: Date): Promise<void> {
    await this.db
      .insertInto('narrative_generation_state')
      .values({ user_id: userId, last_attempt_at: at })
      .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ last_attempt_at: at }))
      .execute();
  }

  async recordSuccess(userId: string, at: Date): Promise<void> {
    await this.db
      .insertInto('narrative_generation_state')
      .values({ user_id: userId, last_success_at: at, consecutive_failures: 0 })
      .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ last_success_at: at, consecutive_failures: 0 }))
      .execute();
  }

  async recordFailure(userId: string, failure: GenerationFailure): Promise<void> {
    const values = {
      last_failure_at: failure.at,
      last_failure_kind: failure.kind,
      last_failure_message: failure.message.slice(0, 2_000),
    };
    await this.db
      .insertInto('narrative_generation_state')
      .values({ user_id: userId, ...values, consecutive_failures: 1 })
      .onConflict((conflict) =>
        conflict.column('user_id').doUpdateSet((eb) => ({
          ...values,
          consecutive_failures: eb('narrative_generation_state.consecutive_failures', '+', 1),
        })),
      )
      .execute();
  }

  /**
   * Records a manual regeneration request if fewer than `limit` were made in the window;
   * otherwise returns when the oldest request in the window expires.
   */
  async takeManualRequest(
    userId: string,
    now: Date,
    windowMs: number,
    limit: number,
  ): Promise<{ allowed: true } | { allowed: false; retryAt: Date }> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('narrative_generation_state')
        .values({ user_id: userId })
        .onConflict((conflict) => conflict.column('user_id').doNothing())
        .execute();
      const row = await trx
        .selectFrom('narrative_generation_state')
        .select('manual_requests')
        .where('user_id', '=', userId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const recent = row.manual_requests.filter((at) => now.getTime() - at.getTime() < windowMs).sort((a, b) => a.getTime() - b.getTime());
      if (recent.length >= limit) return { allowed: false, retryAt: new Date(recent[0]!.getTime() + windowMs) };
      await trx
        .updateTable('narrative_generation_state')
        // An explicit array: postgres.js types a JS array of dates as one timestamptz, which PostgreSQL refuses.
        .set({ manual_requests: sql<Date[]>`array[${sql.join([...recent, now])}]::timestamptz[]` })
        .where('user_id', '=', userId)
        .execute();
      return { allowed: true };
    });
  }
}
