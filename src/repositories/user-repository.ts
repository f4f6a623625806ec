import { sql, type Kysely } from 'kysely';
import type { Clock } from '../clock/clock.js';
import type { DatabaseSchema, NarrativeRow, UserRow } from '../db/database-schema.js';
import { liveMemory } from './live-memory.js';
import type { MemoryStats } from './memory-repository.js';
import { NARRATIVE_COLUMNS } from './narrative-repository.js';

/** The user, the statistics of their live memories and their narrative, as one read saw them. */
export interface GenerationSnapshot {
  user: UserRow;
  stats: MemoryStats;
  narrative: NarrativeRow | undefined;
}

export interface UserWithMemoryCount extends UserRow {
  memory_count: number;
}

/** A user who has enough memories for some purpose, with how many (live ones). */
export interface UserMemoryCount {
  id: string;
  external_id: string;
  memory_count: number;
}

export class UserRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
  ) {}

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * What a generation starts from, in one statement: the user, the statistics of their live
   * memories and their narrative (undefined while they have none).
   */
  async findForGeneration(id: string): Promise<GenerationSnapshot | undefined> {
    const row = await this.db
      .selectFrom('users')
      .innerJoinLateral(
        (eb) =>
          eb
            .selectFrom('memories')
            .select([
              sql<number>`count(*)::int`.as('memory_count'),
              sql<Date | null>`max(created_at)`.as('newest_memory_at'),
              sql<string>`coalesce(max(seq), 0)::text`.as('max_memory_seq'),
            ])
            .whereRef('memories.user_id', '=', 'users.id')
            .where(liveMemory(new Date(this.clock.now())))
            .as('live'),
        (join) => join.onTrue(),
      )
      .leftJoin('user_narratives as narrative', 'narrative.user_id', 'users.id')
      .selectAll('users')
      .select(['live.memory_count', 'live.newest_memory_at', 'live.max_memory_seq'])
      .select(NARRATIVE_COLUMNS.map((column) => sql<unknown>`${sql.ref(`narrative.${column}`)}`.as(`narrative_${column}`)))
      .where('users.id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const columns = row as unknown as Record<string, unknown>;
    const narrative =
      columns['narrative_id'] === null
        ? undefined
        : (Object.fromEntries(NARRATIVE_COLUMNS.map((column) => [column, columns[`narrative_${column}`]])) as unknown as NarrativeRow);
    return {
      user: { id: row.id, external_id: row.external_id, display_name: row.display_name, created_at: row.created_at, memory_seq: row.memory_seq },
      stats: { count: row.memory_count, newestAt: row.newest_memory_at, maxSeq: row.max_memory_seq },
      narrative,
    };
  }

  findByExternalId(externalId: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('external_id', '=', externalId).executeTakeFirst();
  }

  /** Returns the user, creating it first if it does not exist; safe under concurrent callers. */
  async getOrCreate(externalId: string, displayName?: string): Promise<UserRow> {
    const existing = await this.findByExternalId(externalId);
    if (existing) return existing;
    const created = await this.db
      .insertInto('users')
      .values({ external_id: externalId, display_name: displayName ?? null })
      .onConflict((conflict) => conflict.column('external_id').doNothing())
      .returningAll()
      .executeTakeFirst();
    return created ?? (await this.db.selectFrom('users').selectAll().where('external_id', '=', externalId).executeTakeFirstOrThrow());
  }

  /** Creates a user; returns undefined when the external id is taken. */
  create(externalId: string, displayName?: string): Promise<UserRow | undefined> {
    return this.db
      .insertInto('users')
      .values({ external_id: externalId, display_name: displayName ?? null })
      .onConflict((conflict) => conflict.column('external_id').doNothing())
      .returningAll()
      .executeTakeFirst();
  }

  /** One keyset page of users ordered by external id, continuing after `after`. */
  page(options: { after?: string; limit: number }): Promise<UserRow[]> {
    let query = this.db.selectFrom('users').selectAll().orderBy('external_id').limit(options.limit);
    if (options.after !== undefined) query = query.where('external_id', '>', options.after);
    return query.execute();
  }

  /** One page of users ordered by external id, each with its count of live memories. */
  listWithMemoryCounts(options: { after?: string; limit: number }): Promise<UserWithMemoryCount[]> {
    let query = this.db
      .selectFrom('users')
      .selectAll('users')
      .select((eb) =>
        eb
          .selectFrom('memories')
          .select(sql<number>`count(*)::int`.as('n'))
          .whereRef('memories.user_id', '=', 'users.id')
          .where(liveMemory(new Date(this.clock.now())))
          .as('memory_count'),
      )
      .orderBy('external_id')
      .limit(options.limit);
    if (options.after !== undefined) query = query.where('external_id', '>', options.after);
    return query.execute() as Promise<UserWithMemoryCount[]>;
  }

  /**
   * One keyset page of the users with at least `minMemories` live memories, ordered by external
   * id and continuing after `after`: callers walk any number of users a page at a time.
   */
  pageWithMinMemories(options: { minMemories: number; after?: string; limit: number }): Promise<UserMemoryCount[]> {
    let query = this.db
      .selectFrom('users')
      .innerJoinLateral(
        (eb) =>
          eb
            .selectFrom('memories')
            .select(sql<number>`count(*)::int`.as('memory_count'))
            .whereRef('memories.user_id', '=', 'users.id')
            .where(liveMemory(new Date(this.clock.now())))
            .as('counted'),
        (join) => join.onTrue(),
      )
      .select(['users.id', 'users.external_id', 'counted.memory_count'])
      .where('counted.memory_count', '>=', options.minMemories)
      .orderBy('users.external_id')
      .limit(options.limit);
    if (options.after !== undefined) query = query.where('users.external_id', '>', options.after);
    return query.execute();
  }

  /** How many users have at least `minMemories` live memories (of those after `after`, by external id). */
  async countWithMinMemories(minMemories: number, after?: string): Promise<number> {
    const row = await this.db
      .selectFrom((eb) => {
        let eligible = eb
          .selectFrom('memories')
          .innerJoin('users', 'users.id', 'memories.user_id')
          .select('memories.user_id')
          .where(liveMemory(new Date(this.clock.now())))
          .groupBy('memories.user_id')
          .having(sql<number>`count(*)`, '>=', minMemories);
        if (after !== undefined) eligible = eligible.where('users.external_id', '>', after);
        return eligible.as('eligible');
      })
      .select(sql<number>`count(*)::int`.as('count'))
      .executeTakeFirstOrThrow();
    return row.count;
  }
}
