import { sql, type Kysely, type QueryCreator } from 'kysely';
import type { DatabaseSchema, GenerationStateRow } from '../db/database-schema.js';
import { derivedCommitMode, type DerivedCommits } from './asynchronous-commit.js';

/** When a lease is taken, and until when it runs unless renewed. */
export interface LeaseTerm {
  now: Date;
  expiresAt: Date;
}

export interface GenerationFailure {
  at: Date;
  kind: string;
  message: string;
}

/** Per-user bookkeeping of background generation: attempts, the last failure, manual requests. */
export class GenerationStateRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly commits: DerivedCommits = { withoutDiskWait: false },
  ) {}

  get(userId: string): Promise<GenerationStateRow | undefined> {
    return this.db.selectFrom('narrative_generation_state').selectAll().where('user_id', '=', userId).executeTakeFirst();
  }

  /**
   * The fence of a transaction that stores work done under the lease `token`: if the lease is
   * still ours, records a success at `at`, gives the lease up and takes the user's row in share
   * mode, in one statement, holding both rows until the transaction ends (a process taking the
   * lease over waits for it, so nothing written under the lease lands after it changed hands; an
   * insert, update or deletion of the user's memories waits for it too, or it waits for them);
   * false, changing nothing, when the lease is lost. If the transaction then rolls back, so do the
   * success and the release: the lease is ours again. The transaction commits as derived data does
   * (`DerivedCommits`): what a lease stores is generated, and a crash that loses it leaves the
   * version before it, to be generated again.
   */
  async claimSuccessAndRelease(userId: string, token: string, at: Date): Promise<boolean> {
    const fenced = await this.db
      .with('fenced', (db) =>
        db
          .updateTable('narrative_generation_state')
          .set({ last_success_at: at, consecutive_failures: 0, lease_token: null, lease_expires_at: null })
          .where('user_id', '=', userId)
          .where('lease_token', '=', token)
          .returning('user_id'),
      )
      .selectFrom('users')
      .innerJoin('fenced', 'fenced.user_id', 'users.id')
      .select(['users.id', derivedCommitMode(this.commits).as('commit_mode')])
      .forShare('users')
      .executeTakeFirst();
    return fenced !== undefined;
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
   * Takes the lease on the user's generation for `token` unless another holder's lease is still
   * running at `now`, and records `now` as the user's last attempt: one statement, so two
   * processes asking at once cannot both get it. Returns false when it is held, or when there is
   * no such user.
   */
  async takeLease(userId: string, token: string, term: LeaseTerm): Promise<boolean> {
    return (await leaseStatement(this.db, userId, token, term).executeTakeFirst()) !== undefined;
  }

  /** Moves the lease's expiry to `expiresAt` if `token` still holds it; false once another holder took it over. */
  async renewLease(userId: string, token: string, expiresAt: Date): Promise<boolean> {
    const renewed = await this.db
      .updateTable('narrative_generation_state')
      .set({ lease_expires_at: expiresAt })
      .where('user_id', '=', userId)
      .where('lease_token', '=', token)
      .returning('user_id')
      .executeTakeFirst();
    return renewed !== undefined;
  }

  /** Gives the lease up if `token` still holds it. */
  async releaseLease(userId: string, token: string): Promise<void> {
    await this.db
      .updateTable('narrative_generation_state')
      .set({ lease_token: null, lease_expires_at: null })
      .where('user_id', '=', userId)
      .where('lease_token', '=', token)
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

/**
 * Takes the lease on the user's generation for `token` unless another holder's lease is still
 * running at `now`, recording `now` as the user's last attempt; returns the user's id and last
 * success when it did. A statement of its own, or the CTE of a read that goes with it.
 */
export function leaseStatement(db: QueryCreator<DatabaseSchema>, userId: string, token: string, { now, expiresAt }: LeaseTerm) {
  return db
    .insertInto('narrative_generation_state')
    .columns(['user_id', 'lease_token', 'lease_expires_at', 'last_attempt_at'])
    .expression((eb) =>
      eb
        .selectFrom('users')
        .select([
          'id',
          sql<string>`${token}::uuid`.as('lease_token'),
          sql<Date>`${expiresAt}::timestamptz`.as('lease_expires_at'),
          sql<Date>`${now}::timestamptz`.as('last_attempt_at'),
        ])
        .where('id', '=', userId),
    )
    .onConflict((conflict) =>
      conflict
        .column('user_id')
        .doUpdateSet({ lease_token: token, lease_expires_at: expiresAt, last_attempt_at: now })
        .where((eb) => eb.or([eb('narrative_generation_state.lease_expires_at', 'is', null), eb('narrative_generation_state.lease_expires_at', '<=', now)])),
    )
    .returning(['user_id', 'last_success_at']);
}
