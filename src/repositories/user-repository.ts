import { sql, type Kysely, type QueryCreator } from 'kysely';
import type { Clock } from '../clock/clock.js';
import type { DatabaseSchema, NarrativeRow, UserRow } from '../db/database-schema.js';
import { liveMemory } from './live-memory.js';
import { derivedCommitMode, type DerivedCommits } from './asynchronous-commit.js';
import { leaseStatement, type LeaseTerm } from './generation-state-repository.js';
import type { MemoryStats, SequencedMemory } from './memory-repository.js';
import { NARRATIVE_COLUMNS } from './narrative-repository.js';

/**
 * The user, the statistics of their live memories, their narrative and their newest live memories,
 * as one read saw them.
 */
export interface GenerationSnapshot {
  user: UserRow;
  stats: MemoryStats;
  narrative: NarrativeRow | undefined;
  /** Newest first, at most the limit asked for: exactly the live memories numbered up to `stats.maxSeq`, if it did not cut. */
  memories: SequencedMemory[];
}

/** A snapshot read in the statement that took the lease on the user's generation. */
export interface LeasedSnapshot extends GenerationSnapshot {
  /** The user's last successful generation, as the lease found it: newer than the narrative read if its writer committed after the read began. */
  lastSuccessAt: Date | null;
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
    private readonly commits: DerivedCommits = { withoutDiskWait: false },
  ) {}

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * What a generation starts from, in one statement: the user, the statistics of their live
   * memories, their narrative (undefined while they have none), and their newest `memoryLimit`
   * live memories.
   */
  async findForGeneration(id: string, memoryLimit: number): Promise<GenerationSnapshot | undefined> {
    const row = await this.#snapshotQuery(this.db, memoryLimit).where('users.id', '=', id).executeTakeFirst();
    return row && toSnapshot(row);
  }

  /**
   * Takes the lease on the user's generation (see `GenerationStateRepository.takeLease`) and, when
   * it did, reads what the generation starts from (see `findForGeneration`), in one statement that
   * commits as derived data does (`DerivedCommits`: a lease lost in a crash is no lease); undefined
   * when another holder's lease is running or there is no such user.
   */
  async leaseForGeneration(id: string, lease: { token: string } & LeaseTerm, memoryLimit: number): Promise<LeasedSnapshot | undefined> {
    // The lease's CTE is read only in raw SQL below, so the query is typed without it.
    const leased = this.db.with('lease', (db) => leaseStatement(db, id, lease.token, lease)) as unknown as QueryCreator<DatabaseSchema>;
    const row = await this.#snapshotQuery(leased, memoryLimit)
      .where('users.id', 'in', sql<string>`(select user_id from lease)`)
      .select(sql<Date | null>`(select last_success_at from lease)`.as('lease_last_success_at'))
      .select(derivedCommitMode(this.commits).as('commit_mode'))
      .executeTakeFirst();
    return row && { ...toSnapshot(row), lastSuccessAt: row.lease_last_success_at };
  }

  #snapshotQuery(db: QueryCreator<DatabaseSchema>, memoryLimit: number) {
    const now = new Date(this.clock.now());
    return db
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
            .where(liveMemory(now))
            .as('live'),
        (join) => join.onTrue(),
      )
      .leftJoin('user_narratives as narrative', 'narrative.user_id', 'users.id')
      .selectAll('users')
      .select(['live.memory_count', 'live.newest_memory_at', 'live.max_memory_seq'])
      .select(NARRATIVE_COLUMNS.map((column) => sql<unknown>`${sql.ref(`narrative.${column}`)}`.as(`narrative_${column}`)))
      // As JSON, one value for all of them: a generation reads every memory it may use in the same snapshot as the statistics.
      .select(
        sql<JsonMemory[]>`(
          select coalesce(json_agg(newest order by newest.created_at desc, newest.seq desc), '[]'::json)
          from (
            select id, user_id, content, metadata, source, created_at, updated_at, expires_at, seq::text as seq
            from memories
            where memories.user_id = users.id and ${liveMemory(now)}
            order by created_at desc, seq desc
            limit ${memoryLimit}
          ) as newest
        )`.as('memories'),
      );
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

/** A memory as `json_agg` gives it: its times as ISO strings. */
interface JsonMemory extends Omit<SequencedMemory, 'created_at' | 'updated_at' | 'expires_at' | 'deleted_at'> {
  created_at: string;
  updated_at: string | null;
  expires_at: string | null;
}

type SnapshotColumns = UserRow & {
  memory_count: number;
  newest_memory_at: Date | null;
  max_memory_seq: string;
  memories: JsonMemory[];
} & Record<`narrative_${(typeof NARRATIVE_COLUMNS)[number]}`, unknown>;

function toSnapshot(row: SnapshotColumns): GenerationSnapshot {
  const columns = row as unknown as Record<string, unknown>;
  const narrative =
    columns['narrative_id'] === null
      ? undefined
      : (Object.fromEntries(NARRATIVE_COLUMNS.map((column) => [column, columns[`narrative_${column}`]])) as unknown as NarrativeRow);
  return {
    user: { id: row.id, external_id: row.external_id, display_name: row.display_name, created_at: row.created_at, memory_seq: row.memory_seq },
    stats: { count: row.memory_count, newestAt: row.newest_memory_at, maxSeq: row.max_memory_seq },
    narrative,
    memories: row.memories.map((memory) => ({
      ...memory,
      created_at: new Date(memory.created_at),
      updated_at: memory.updated_at === null ? null : new Date(memory.updated_at),
      expires_at: memory.expires_at === null ? null : new Date(memory.expires_at),
      deleted_at: null,
    })),
  };
}
