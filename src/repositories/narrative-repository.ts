import { sql, type Kysely, type QueryCreator } from 'kysely';
import type { DatabaseSchema, NarrativeBuildKind, NarrativeRow, PreviousNarrativeRow } from '../db/database-schema.js';
import { liveMemory } from './live-memory.js';
import { changedMemories, changedSinceRead, type ChangedMemory, type ChangedSinceRead } from './memory-repository.js';

/** A `ChangedMemory` as `json_agg` gives it. */
type JsonChangedMemory = Omit<ChangedMemory, 'updated_at'> & { updated_at: string | null };

export interface NarrativeWrite {
  content: string;
  provider: string;
  model: string;
  memoryCount: number;
  newestMemoryAt: Date | null;
  sourceMemoryIds: readonly string[];
  generationMs: number;
  generatedAt: Date;
  /**
   * The highest memory `seq` the narrative saw (`MemoryStats.maxSeq` of its snapshot); the user's
   * live memories numbered above it count as added since.
   */
  sourceMaxSeq: string;
  /** A full build becomes the last full build; a revision keeps the one it started from. */
  buildKind: NarrativeBuildKind;
  /** The tokens of this generation, when the provider reported them. */
  tokens: { input: number; output: number } | null;
  /** The earliest expiry among the memories it stands on (null: none expires); past it, it is outdated. */
  sourceExpiresAt: Date | null;
}

/** A narrative as an import restores it (see `NarrativeRepository.restore`). */
export interface RestoredNarrative {
  content: string;
  version: number;
  provider: string;
  model: string;
  generatedAt: Date;
  memoryCount: number;
  newestMemoryAt: Date | null;
  sourceMemoryIds: readonly string[];
  sourceMaxSeq: string;
  sourceExpiresAt: Date | null;
  /** When it is restored: the memories added since it are those live then. */
  restoredAt: Date;
}

/** A narrative due for proactive refresh, with the moment it became due. */
export interface RefreshCandidate extends NarrativeRow {
  due_at: Date;
}

export interface RefreshQuery {
  now: Date;
  ttlMs: number;
  /**
   * Each narrative is refreshed at a moment within this window before it expires, fixed per user:
   * the window times a fraction taken from the first 32 bits of the user's random id
   * (`refreshOffsetMs` in src/operations/refresh-offset.ts computes the same in TypeScript).
   */
  windowMs: number;
  /** Narratives made stale by this many new memories are due at once. */
  invalidateAfterNewMemories: number;
  /** Users with a live memory dated at or after this, or a regeneration asked for since, are active. */
  activeSince: Date;
  limit: number;
}

/** Every column of the version being served: the previous version's text stays off the hot path. */
export const NARRATIVE_COLUMNS = [
  'id',
  'user_id',
  'narrative_content',
  'version',
  'generated_at',
  'updated_at',
  'provider',
  'model',
  'memory_count',
  'newest_memory_at',
  'source_memory_ids',
  'generation_ms',
  'invalidated_at',
  'invalidated_reason',
  'source_max_seq',
  'memories_added_since',
  'build_kind',
  'last_full_build_at',
  'input_tokens',
  'output_tokens',
  'source_expires_at',
] as const satisfies readonly (keyof NarrativeRow)[];

/** Fails to compile when a column of `NarrativeRow` is missing from `NARRATIVE_COLUMNS`. */
type UnlistedColumn = Exclude<keyof NarrativeRow, (typeof NARRATIVE_COLUMNS)[number]>;
const everyColumnListed: UnlistedColumn extends never ? true : never = true;
void everyColumnListed;

export class NarrativeRepository {
  constructor(private readonly db: Kysely<DatabaseSchema>) {}

  get(userId: string): Promise<NarrativeRow | undefined> {
    return this.db.selectFrom('user_narratives').select(NARRATIVE_COLUMNS).where('user_id', '=', userId).executeTakeFirst();
  }

  /**
   * The version the current one replaced (see `migrations/0011-previous-narrative.ts`); its text is
   * null once a memory it was built from was deleted, corrected or expired.
   */
  async getPrevious(userId: string): Promise<PreviousNarrativeRow | undefined> {
    return this.db
      .selectFrom('user_narratives')
      .select([
        'previous_content',
        'previous_version',
        'previous_generated_at',
        'previous_source_memory_ids',
        'previous_source_max_seq',
        'previous_source_expires_at',
      ])
      .where('user_id', '=', userId)
      .where('previous_version', 'is not', null)
      .executeTakeFirst();
  }

  /**
   * Stores a newly generated narrative. The first one is version 1; each later write replaces
   * the content and raises the version by exactly one, in one statement.
   *
   * The memories added since are counted after taking the user's row in share mode: that waits
   * for every insert of the user's memories in progress to commit (each holds the row from the
   * moment it numbers its memories), and makes those that start later wait for this transaction,
   * then raise the count of the narrative it wrote (`noteNewMemories`). Counting in the upsert's
   * own snapshot instead would miss, and overwrite the note of, an insert that commits meanwhile.
   */
  write(userId: string, narrative: NarrativeWrite): Promise<NarrativeRow> {
    const writeCounted = async (trx: Kysely<DatabaseSchema>) => {
      await trx.selectFrom('users').select('id').where('id', '=', userId).forShare().execute();
      return this.#upsert(trx, userId, narrative).executeTakeFirstOrThrow();
    };
    return this.db.isTransaction ? writeCounted(this.db) : this.db.transaction().execute(writeCounted);
  }

  /**
   * Stores a newly generated narrative as `write` does, in a transaction whose fence already holds
   * the user's row in share mode (`GenerationStateRepository.claimSuccessAndRelease`), and reports
   * which of the memories it stands on were deleted or updated since they were read (`read`, see
   * `changedSinceRead`), in one statement: a deletion or update of the user's memories takes the
   * user's row first, so one that committed before this statement is in its snapshot, and one that
   * did not waits for this transaction and outdates what it stored.
   */
  async writeFenced(
    userId: string,
    narrative: NarrativeWrite,
    read: ReadonlyMap<string, Date | null>,
  ): Promise<{ narrative: NarrativeRow; changed: ChangedSinceRead }> {
    const row = await this.db
      .with('written', (db) => this.#upsert(db, userId, narrative))
      .selectFrom('written')
      .selectAll()
      .select(
        sql<JsonChangedMemory[]>`(select coalesce(json_agg(changed), '[]'::json) from ${changedMemories(userId, narrative.sourceMemoryIds)} as changed)`.as(
          'changed_memories',
        ),
      )
      .executeTakeFirstOrThrow();
    const { changed_memories: changedMemoriesRead, ...written } = row;
    const changed = changedMemoriesRead.map((memory) => ({ ...memory, updated_at: memory.updated_at === null ? null : new Date(memory.updated_at) }));
    return { narrative: written, changed: changedSinceRead(changed, read) };
  }

  #upsert(db: QueryCreator<DatabaseSchema>, userId: string, narrative: NarrativeWrite) {
    // The replaced version is kept to show what changed, unless a memory it stands on was deleted,
    // corrected or has expired (which outdated it): its text holds that fact.
    const keptAsPrevious = sql<boolean>`(user_narratives.invalidated_at is null and (user_narratives.source_expires_at is null or user_narratives.source_expires_at > ${narrative.generatedAt}::timestamptz))`;
    const values = {
      user_id: userId,
      narrative_content: narrative.content,
      provider: narrative.provider,
      model: narrative.model,
      memory_count: narrative.memoryCount,
      newest_memory_at: narrative.newestMemoryAt,
      source_memory_ids: [...narrative.sourceMemoryIds],
      generation_ms: Math.round(narrative.generationMs),
      generated_at: narrative.generatedAt,
      updated_at: narrative.generatedAt,
      source_max_seq: narrative.sourceMaxSeq,
      build_kind: narrative.buildKind,
      last_full_build_at: narrative.buildKind === 'full' ? narrative.generatedAt : null,
      input_tokens: narrative.tokens?.input ?? null,
      output_tokens: narrative.tokens?.output ?? null,
      source_expires_at: narrative.sourceExpiresAt,
      memories_added_since: sql<number>`(
        select count(*)::int from memories
        where user_id = ${userId} and ${liveMemory(narrative.generatedAt)} and seq > ${narrative.sourceMaxSeq}::bigint
      )`,
    };
    return db
      .insertInto('user_narratives')
      .values(values)
      .onConflict((conflict) =>
        conflict.column('user_id').doUpdateSet((eb) => ({
          narrative_content: eb.ref('excluded.narrative_content'),
          provider: eb.ref('excluded.provider'),
          model: eb.ref('excluded.model'),
          memory_count: eb.ref('excluded.memory_count'),
          newest_memory_at: eb.ref('excluded.newest_memory_at'),
          source_memory_ids: eb.ref('excluded.source_memory_ids'),
          generation_ms: eb.ref('excluded.generation_ms'),
          generated_at: eb.ref('excluded.generated_at'),
          updated_at: eb.ref('excluded.updated_at'),
          source_max_seq: eb.ref('excluded.source_max_seq'),
          memories_added_since: eb.ref('excluded.memories_added_since'),
          build_kind: eb.ref('excluded.build_kind'),
          last_full_build_at: sql<Date | null>`coalesce(excluded.last_full_build_at, user_narratives.last_full_build_at)`,
          input_tokens: eb.ref('excluded.input_tokens'),
          output_tokens: eb.ref('excluded.output_tokens'),
          source_expires_at: eb.ref('excluded.source_expires_at'),
          version: sql<number>`user_narratives.version + 1`,
          previous_content: sql<string | null>`case when ${keptAsPrevious} then user_narratives.narrative_content end`,
          previous_version: sql<number>`user_narratives.version`,
          previous_generated_at: sql<Date>`user_narratives.generated_at`,
          previous_source_memory_ids: sql<string[]>`case when ${keptAsPrevious} then user_narratives.source_memory_ids else '{}'::uuid[] end`,
          previous_source_max_seq: sql<string>`user_narratives.source_max_seq`,
          previous_source_expires_at: sql<Date | null>`case when ${keptAsPrevious} then user_narratives.source_expires_at end`,
          // A revision stands on every memory of the version it revised: a deletion or update of one
          // of them while it was written outdates it too. A full build read every memory afresh.
          invalidated_at: sql<Date | null>`case when excluded.build_kind = 'incremental' then user_narratives.invalidated_at end`,
          invalidated_reason: sql<string | null>`case when excluded.build_kind = 'incremental' then user_narratives.invalidated_reason end`,
        })),
      )
      .returning(NARRATIVE_COLUMNS);
  }

  /**
   * Stores a narrative brought by an import as it was: its text, version and dates, standing on
   * `sourceMemoryIds`. Only for a user without a narrative; returns whether it was stored.
   */
  async restore(userId: string, narrative: RestoredNarrative): Promise<boolean> {
    const row = await this.db
      .insertInto('user_narratives')
      .values({
        user_id: userId,
        narrative_content: narrative.content,
        version: narrative.version,
        provider: narrative.provider,
        model: narrative.model,
        generated_at: narrative.generatedAt,
        updated_at: narrative.generatedAt,
        memory_count: narrative.memoryCount,
        newest_memory_at: narrative.newestMemoryAt,
        source_memory_ids: [...narrative.sourceMemoryIds],
        generation_ms: 0,
        source_max_seq: narrative.sourceMaxSeq,
        memories_added_since: sql<number>`(
          select count(*)::int from memories
          where user_id = ${userId} and ${liveMemory(narrative.restoredAt)} and seq > ${narrative.sourceMaxSeq}::bigint
        )`,
        build_kind: 'full',
        last_full_build_at: narrative.generatedAt,
        source_expires_at: narrative.sourceExpiresAt,
      })
      .onConflict((conflict) => conflict.column('user_id').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Counts memories that arrived after the narrative was built (same transaction as the insert). */
  async noteNewMemories(userId: string, added: number): Promise<void> {
    if (added === 0) return;
    await this.db
      .updateTable('user_narratives')
      .set((eb) => ({ memories_added_since: eb('memories_added_since', '+', added) }))
      .where('user_id', '=', userId)
      .execute();
  }

  /**
   * Marks the narrative outdated when it was built from any of these memories; returns whether it
   * was. The reasons of a narrative outdated more than once are kept together, comma-separated
   * (`memory_deleted,memory_updated`). The previous version's text goes too when it was built from
   * one of them: what was forgotten or corrected must not survive in a history.
   */
  async invalidateIfBuiltFrom(userId: string, memoryIds: readonly string[], reason: string, at: Date): Promise<boolean> {
    if (memoryIds.length === 0) return false;
    const ids = sql`${sql.val([...memoryIds])}::uuid[]`;
    const usedNow = sql<boolean>`source_memory_ids && ${ids}`;
    const usedBefore = sql<boolean>`previous_source_memory_ids && ${ids}`;
    const row = await this.db
      .updateTable('user_narratives')
      .set({
        invalidated_at: sql<Date | null>`case when ${usedNow} then ${at}::timestamptz else invalidated_at end`,
        invalidated_reason: sql<string | null>`case
          when not ${usedNow} then invalidated_reason
          when invalidated_at is null or invalidated_reason is null then ${reason}::text
          when ${reason}::text = any(string_to_array(invalidated_reason, ',')) then invalidated_reason
          else invalidated_reason || ',' || ${reason}::text end`,
        previous_content: sql<string | null>`case when ${usedBefore} then null else previous_content end`,
        previous_source_memory_ids: sql<string[]>`case when ${usedBefore} then '{}'::uuid[] else previous_source_memory_ids end`,
      })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([usedNow, usedBefore]))
      .returning(usedNow.as('invalidated'))
      .executeTakeFirst();
    return row?.invalidated === true;
  }

  /**
   * Takes the earliest expiry among its memories again for the user's narrative, when it was built
   * from any of these memories, whose expiry was changed: a shortened one comes sooner, a removed
   * or later one no longer outdates it.
   */
  async recomputeSourceExpiry(userId: string, memoryIds: readonly string[]): Promise<void> {
    if (memoryIds.length === 0) return;
    await this.db
      .updateTable('user_narratives')
      .set({
        source_expires_at: sql<Date | null>`(
          select min(memories.expires_at) from memories
          where memories.user_id = ${userId} and memories.id = any(user_narratives.source_memory_ids)
        )`,
      })
      .where('user_id', '=', userId)
      .where(sql<boolean>`source_memory_ids && ${sql.val([...memoryIds])}::uuid[]`)
      .execute();
  }

  /**
   * Marks outdated (`memory_expired`), for every user, the narratives standing on a memory that has
   * expired by `now` and not yet marked so; returns their users. Drops the previous versions' texts
   * that stand on one (they are already hidden from the moment it expires). A narrative is judged outdated
   * from its `source_expires_at` without this mark: the mark lists the reason with the others and
   * makes the narrative due for proactive refresh.
   */
  async markExpiredSources(now: Date): Promise<string[]> {
    await this.db
      .updateTable('user_narratives')
      .set({ previous_content: null, previous_source_memory_ids: [], previous_source_expires_at: null })
      .where('previous_source_expires_at', '<=', now)
      .execute();
    const rows = await this.db
      .updateTable('user_narratives')
      .set(invalidation('memory_expired', now))
      .where('source_expires_at', '<=', now)
      .where((eb) =>
        eb.or([
          eb('invalidated_at', 'is', null),
          eb('invalidated_reason', 'is', null),
          sql<boolean>`not ('memory_expired' = any(string_to_array(invalidated_reason, ',')))`,
        ]),
      )
      .returning('user_id')
      .execute();
    return rows.map((row) => row.user_id);
  }

  /** The narratives of these users (those that have one). */
  getMany(userIds: readonly string[]): Promise<NarrativeRow[]> {
    if (userIds.length === 0) return Promise.resolve([]);
    return this.db.selectFrom('user_narratives').select(NARRATIVE_COLUMNS).where('user_id', 'in', userIds).execute();
  }

  /**
   * Narratives of active users that are due for proactive refresh, the longest overdue first: those
   * whose per-user refresh moment has come, and those already stale (new memories, a deleted memory).
   * A user whose last attempts failed waits an hour, doubling per failure up to a day, before the next.
   */
  dueForRefresh(query: RefreshQuery): Promise<RefreshCandidate[]> {
    const offsetFraction = sql<number>`(('x' || left(replace(user_narratives.user_id::text, '-', ''), 8))::bit(32)::bigint::float8 / 4294967296)`;
    const dueAt = sql<Date>`(user_narratives.generated_at + ((${query.ttlMs - query.windowMs}::float8 + ${offsetFraction} * ${query.windowMs}::float8) * interval '1 millisecond'))`;
    return this.db
      .selectFrom('user_narratives')
      .select(NARRATIVE_COLUMNS.map((column) => `user_narratives.${column}` as const))
      .select(dueAt.as('due_at'))
      .where((eb) =>
        eb.or([
          sql<boolean>`${dueAt} <= ${query.now}::timestamptz`,
          eb('user_narratives.invalidated_at', 'is not', null),
          eb('user_narratives.source_expires_at', '<=', query.now),
          eb('user_narratives.memories_added_since', '>=', query.invalidateAfterNewMemories),
        ]),
      )
      .where((eb) =>
        eb.or([
          eb.exists(
            eb
              .selectFrom('memories')
              .select(sql`1`.as('one'))
              .whereRef('memories.user_id', '=', 'user_narratives.user_id')
              .where(liveMemory(query.now))
              .where('memories.created_at', '>=', query.activeSince),
          ),
          eb.exists(
            eb
              .selectFrom('narrative_generation_state as state')
              .select(sql`1`.as('one'))
              .whereRef('state.user_id', '=', 'user_narratives.user_id')
              .where(sql<boolean>`${query.activeSince}::timestamptz <= any(state.manual_requests)`),
          ),
        ]),
      )
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('narrative_generation_state as state')
              .select(sql`1`.as('one'))
              .whereRef('state.user_id', '=', 'user_narratives.user_id')
              .where('state.consecutive_failures', '>', 0)
              .where(
                sql<boolean>`state.last_failure_at > ${query.now}::timestamptz
                  - least(interval '1 hour' * power(2, least(state.consecutive_failures, 10) - 1), interval '1 day')`,
              ),
          ),
        ),
      )
      .orderBy('due_at')
      .orderBy('user_narratives.user_id')
      .limit(query.limit)
      .execute();
  }
}

/** The columns that mark a narrative outdated for `reason`, kept beside the reasons it already has. */
function invalidation(reason: string, at: Date) {
  return {
    invalidated_at: at,
    invalidated_reason: sql<string>`case
      when invalidated_at is null or invalidated_reason is null then ${reason}::text
      when ${reason}::text = any(string_to_array(invalidated_reason, ',')) then invalidated_reason
      else invalidated_reason || ',' || ${reason}::text end`,
  };
}
