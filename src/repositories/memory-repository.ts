import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { Clock } from '../clock/clock.js';
import type { DatabaseSchema, MemoryRow, NewMemoryRow } from '../db/database-schema.js';
import { contentHash, type NewMemory } from '../memories/memory-input.js';
import type { MemoryUpdate } from '../memories/memory-update.js';
import { liveMemory } from './live-memory.js';

export interface AddMemoriesResult {
  added: MemoryRow[];
  /** Inputs whose text the user already has as a live memory (or that repeat within the call). */
  duplicates: number;
}

export interface ScoredMemory extends MemoryRow {
  score: number;
}

export interface SequencedMemory extends MemoryRow {
  /** The memory's number among its user's memories, in commit order, as a decimal string (bigint). */
  seq: string;
}

/** A live memory as an export writes it, with the text's hash, which orders the user's export. */
export type ExportedMemory = Pick<MemoryRow, 'content' | 'created_at' | 'metadata' | 'source' | 'expires_at'> & { content_hash: string };

/** Where a page of a user's export continues: after the memory of this date and text hash. */
export interface ExportCursor {
  createdAt: Date;
  contentHash: string;
}

/** Memories deleted, or updated after they were read. */
export interface ChangedSinceRead {
  deleted: string[];
  updated: string[];
}

/** A memory of those asked about that was deleted or updated at some time. */
export interface ChangedMemory {
  id: string;
  deleted: boolean;
  updated_at: Date | null;
}

/** The user's memories among `ids` that were ever deleted or updated, as `ChangedMemory` rows; one array parameter, whatever their number. */
export function changedMemories(userId: string, ids: readonly string[]) {
  return sql<ChangedMemory>`(
    select id, deleted_at is not null as deleted, updated_at from memories
    where user_id = ${userId} and id = any(${sql.val([...ids])}::uuid[]) and (deleted_at is not null or updated_at is not null)
  )`;
}

/**
 * Of the memories in `changed`, those deleted, and those updated after they were read: their
 * `updated_at` is no longer the one read (`read` maps an id to it; an id it lacks is only checked
 * for deletion). Compared for equality, so the clocks of other processes cannot hide an update.
 */
export function changedSinceRead(changed: readonly ChangedMemory[], read: ReadonlyMap<string, Date | null>): ChangedSinceRead {
  return {
    deleted: changed.filter((row) => row.deleted).map((row) => row.id),
    updated: changed
      .filter((row) => row.updated_at !== null && read.has(row.id) && row.updated_at.getTime() !== read.get(row.id)?.getTime())
      .map((row) => row.id),
  };
}

export interface MemoryStats {
  count: number;
  newestAt: Date | null;
  /**
   * The highest number among the user's live memories ('0' when there are none). Numbers follow
   * commit order, so the statement that saw it saw every memory numbered below it too.
   */
  maxSeq: string;
}

/** How the user's memories changed between two versions of their narrative. */
export interface MemoryChanges {
  /** Live memories numbered after the earlier version and up to the later one. */
  added: number;
  /** Live memories corrected between the two versions. */
  updated: number;
  /** Memories deleted between the two versions. */
  deleted: number;
  /** Memories that expired between the two versions. */
  expired: number;
  /** The newest of those added and of those corrected that are live now, at most `sample` of each. */
  addedSample: MemoryRow[];
  updatedSample: MemoryRow[];
}

/** Two versions of a narrative, as the memories' numbers and times place them. */
export interface VersionWindow {
  fromSeq: string;
  toSeq: string;
  from: Date;
  to: Date;
  now: Date;
}

/** Creation times from `from` (inclusive) to `before` (exclusive); an absent end is open. */
export interface CreatedRange {
  from?: Date;
  before?: Date;
}

const MEMORY_COLUMNS = ['id', 'user_id', 'content', 'metadata', 'source', 'created_at', 'deleted_at', 'updated_at', 'expires_at'] as const;
// Far below PostgreSQL's limit of 65,535 bind parameters per statement (7 per row).
const INSERT_CHUNK = 1_000;

export class MemoryRepository {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly clock: Clock,
  ) {}

  /**
   * Adds memories atomically: all of them are stored (less duplicates) or none is. Each is numbered
   * (`seq`) after the user's memories committed before it: the numbers are taken under the user's
   * row lock, which a concurrent insert for the same user waits for until this one commits. A
   * duplicate's number is skipped. An expired memory with the same text gives its text up first.
   */
  async addMany(userId: string, inputs: readonly NewMemory[], source: string): Promise<AddMemoriesResult> {
    const seen = new Set<string>();
    const now = new Date(this.clock.now());
    const rows: Omit<NewMemoryRow, 'seq'>[] = [];
    for (const input of inputs) {
      const hash = contentHash(input.content);
      if (seen.has(hash)) continue;
      seen.add(hash);
      rows.push({
        user_id: userId,
        content: input.content,
        content_hash: hash,
        metadata: input.metadata ?? {},
        source,
        created_at: input.created_at ?? now,
        expires_at: input.expires_at ?? null,
      });
    }
    if (rows.length === 0) return { added: [], duplicates: inputs.length };
    const insertAll = async (trx: Kysely<DatabaseSchema>) => {
      const numbered = await trx
        .updateTable('users')
        .set({ memory_seq: sql<string>`memory_seq + ${rows.length}` })
        .where('id', '=', userId)
        .returning('memory_seq')
        .executeTakeFirst();
      if (!numbered) throw new Error(`cannot add memories for user ${userId}: there is no such user`);
      const firstSeq = BigInt(numbered.memory_seq) - BigInt(rows.length) + 1n;
      await new MemoryRepository(trx, this.clock).releaseExpiredTexts(userId, [...seen]);
      const stored: MemoryRow[] = [];
      for (let start = 0; start < rows.length; start += INSERT_CHUNK) {
        const chunk = await trx
          .insertInto('memories')
          .values(rows.slice(start, start + INSERT_CHUNK).map((row, n) => ({ ...row, seq: String(firstSeq + BigInt(start + n)) })))
          .onConflict((conflict) =>
            conflict.columns(['user_id', 'content_hash']).where('deleted_at', 'is', null).doNothing(),
          )
          .returning(MEMORY_COLUMNS)
          .execute();
        stored.push(...chunk);
      }
      return stored;
    };
    const added = this.db.isTransaction ? await insertAll(this.db) : await this.db.transaction().execute(insertAll);
    return { added, duplicates: inputs.length - added.length };
  }

  /**
   * Live memories, newest first (memories stored in the same millisecond in the order they were
   * stored); `before` continues from the last page's oldest memory; `created` keeps those created
   * in the range.
   */
  recent(userId: string, options: { limit: number; before?: { createdAt: Date; id: string }; created?: CreatedRange }): Promise<MemoryRow[]> {
    let query = this.db
      .selectFrom('memories')
      .select(MEMORY_COLUMNS)
      .where('user_id', '=', userId)
      .where(liveMemory(this.#now()))
      .where(createdIn(options.created))
      .orderBy('created_at', 'desc')
      .orderBy('seq', 'desc')
      .limit(options.limit);
    const before = options.before;
    if (before) {
      const beforeSeq = this.db
        .selectFrom('memories')
        .select('seq')
        .where('user_id', '=', userId)
        .where('id', '=', before.id);
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '<', before.createdAt),
          eb.and([eb('created_at', '=', before.createdAt), eb('seq', '<', beforeSeq)]),
        ]),
      );
    }
    return query.execute();
  }

  /** How many live memories the user has created in the range (all of them without one). */
  async countCreated(userId: string, created?: CreatedRange): Promise<number> {
    const row = await this.db
      .selectFrom('memories')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('user_id', '=', userId)
      .where(liveMemory(this.#now()))
      .where(createdIn(created))
      .executeTakeFirstOrThrow();
    return row.count;
  }

  /**
   * The user's newest live memories with their insertion order, newest first (those numbered above
   * `afterSeq` and up to `upToSeq`).
   */
  newestWithSeq(userId: string, limit: number, options: { afterSeq?: string; upToSeq?: string } = {}): Promise<SequencedMemory[]> {
    let query = this.db
      .selectFrom('memories')
      .select([...MEMORY_COLUMNS, 'seq'])
      .where('user_id', '=', userId)
      .where(liveMemory(this.#now()));
    // Numbers follow commit order per user, so this is exactly what a read that saw `upToSeq` saw.
    if (options.upToSeq !== undefined) query = query.where('seq', '<=', options.upToSeq);
    if (options.afterSeq !== undefined) query = query.where('seq', '>', options.afterSeq);
    return query
      .orderBy('created_at', 'desc')
      .orderBy('seq', 'desc')
      .limit(limit)
      .execute();
  }

  /** What happened to the user's memories between two versions of the narrative (see `MemoryChanges`). */
  async changesBetween(userId: string, window: VersionWindow, sample: number): Promise<MemoryChanges> {
    const live = liveMemory(window.now);
    const added = sql<boolean>`${live} and seq > ${window.fromSeq}::bigint and seq <= ${window.toSeq}::bigint`;
    const updated = sql<boolean>`${live} and updated_at > ${window.from}::timestamptz and updated_at <= ${window.to}::timestamptz`;
    const counts = await this.db
      .selectFrom('memories')
      .select([
        sql<number>`count(*) filter (where ${added})::int`.as('added'),
        sql<number>`count(*) filter (where ${updated})::int`.as('updated'),
        sql<number>`count(*) filter (where deleted_at > ${window.from}::timestamptz and deleted_at <= ${window.to}::timestamptz)::int`.as('deleted'),
        sql<number>`count(*) filter (where deleted_at is null and expires_at > ${window.from}::timestamptz and expires_at <= ${window.to}::timestamptz)::int`.as(
          'expired',
        ),
      ])
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    const newest = (where: typeof added, count: number) =>
      count === 0
        ? Promise.resolve([])
        : this.db
            .selectFrom('memories')
            .select(MEMORY_COLUMNS)
            .where('user_id', '=', userId)
            .where(where)
            .orderBy('created_at', 'desc')
            .orderBy('seq', 'desc')
            .limit(sample)
            .execute();
    const [addedSample, updatedSample] = await Promise.all([newest(added, counts.added), newest(updated, counts.updated)]);
    return { ...counts, addedSample, updatedSample };
  }

  findByIds(userId: string, ids: readonly string[]): Promise<MemoryRow[]> {
    if (ids.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('memories')
      .select(MEMORY_COLUMNS)
      .where('user_id', '=', userId)
      .where('id', 'in', ids)
      .execute();
  }

  /**
   * One page of the user's live memories for an export, oldest first, continuing after `after`.
   * Ordered by date, then by the text's hash: a text is held by one live memory of a user at most,
   * so the order is total, and it depends on nothing an import makes anew (ids, numbers), so an
   * imported export is exported again in the same order.
   */
  exportPage(userId: string, after: ExportCursor | undefined, limit: number): Promise<ExportedMemory[]> {
    let query = this.db
      .selectFrom('memories')
      .select(['content', 'created_at', 'metadata', 'source', 'expires_at', 'content_hash'])
      .where('user_id', '=', userId)
      .where(liveMemory(this.#now()));
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('created_at', '>', after.createdAt),
          eb.and([eb('created_at', '=', after.createdAt), eb('content_hash', '>', after.contentHash)]),
        ]),
      );
    }
    return query.orderBy('created_at').orderBy('content_hash').limit(limit).execute();
  }

  /** The text hashes of those of these memories that are live, in no particular order. */
  async liveHashesOf(userId: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.db
      .selectFrom('memories')
      .select('content_hash')
      .where('user_id', '=', userId)
      .where('id', 'in', ids)
      .where(liveMemory(this.#now()))
      .execute();
    return rows.map((row) => row.content_hash);
  }

  async count(userId: string): Promise<number> {
    return (await this.stats(userId)).count;
  }

  async stats(userId: string): Promise<MemoryStats> {
    const row = await this.db
      .selectFrom('memories')
      .select([
        sql<number>`count(*)::int`.as('count'),
        sql<Date | null>`max(created_at)`.as('newest_at'),
        sql<string>`coalesce(max(seq), 0)::text`.as('max_seq'),
      ])
      .where('user_id', '=', userId)
      .where(liveMemory(this.#now()))
      .executeTakeFirstOrThrow();
    return { count: row.count, newestAt: row.newest_at, maxSeq: row.max_seq };
  }

  /**
   * Live memories matching any word of the query, best first. Words are reduced to the same
   * English stems as the stored text, so "painting" finds "painted". `created` keeps those created
   * in the range.
   */
  async search(userId: string, query: string, limit: number, created?: CreatedRange): Promise<ScoredMemory[]> {
    // Building the tsquery from to_tsvector's lexemes (each one quoted) means no user input is
    // ever parsed as tsquery syntax, and a query of stop words alone matches nothing quietly.
    const tsquery = sql<string>`(
      select to_tsquery('simple', string_agg('''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || '''', ' | '))
      from unnest(tsvector_to_array(to_tsvector('english'::regconfig, ${query}))) as lexeme
    )`;
    return this.db
      .with('q', (db) => db.selectNoFrom(tsquery.as('query')))
      .selectFrom(['memories', 'q'])
      .select(MEMORY_COLUMNS.map((column) => `memories.${column}` as const))
      .select(sql<number>`ts_rank(memories.search_vector, q.query, 1)::float8`.as('score'))
      .where('memories.user_id', '=', userId)
      .where(liveMemory(this.#now()))
      .where(sql<boolean>`memories.search_vector @@ q.query`)
      .$if(created?.from !== undefined, (qb) => qb.where('memories.created_at', '>=', created!.from!))
      .$if(created?.before !== undefined, (qb) => qb.where('memories.created_at', '<', created!.before!))
      .orderBy('score', 'desc')
      .orderBy('memories.created_at', 'desc')
      .orderBy('memories.id')
      .limit(limit)
      .execute();
  }

  /**
   * The user's memories with these ids, deleted ones too, locked until the transaction ends; call
   * inside one. The user's row is taken first, as an insert takes it to number its memories, so
   * inserts and updates of the user's memories wait for each other: a text checked as free here
   * stays free until this transaction ends.
   */
  async lockForUpdate(userId: string, ids: readonly string[]): Promise<MemoryRow[]> {
    await this.db.selectFrom('users').select('id').where('id', '=', userId).forNoKeyUpdate().execute();
    if (ids.length === 0) return [];
    return this.db
      .selectFrom('memories')
      .select(MEMORY_COLUMNS)
      .where('user_id', '=', userId)
      .where('id', 'in', ids)
      .orderBy('id')
      .forUpdate()
      .execute();
  }

  /** The user's live memories holding any of these texts (by `contentHash`), with the hash, number and expiry of each. */
  liveWithHashes(
    userId: string,
    hashes: readonly string[],
  ): Promise<{ id: string; content_hash: string; seq: string; expires_at: Date | null }[]> {
    if (hashes.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('memories')
      .select(['id', 'content_hash', 'seq', 'expires_at'])
      .where('user_id', '=', userId)
      .where('content_hash', 'in', hashes)
      .where(liveMemory(this.#now()))
      .execute();
  }

  /**
   * Marks the user's expired memories holding any of these texts deleted (at their expiry): one
   * text is held by one undeleted memory at most, and an expired memory must not keep it from the
   * new memory or the correction that gives it again. Their rows stay until the sweep removes them.
   */
  async releaseExpiredTexts(userId: string, hashes: readonly string[]): Promise<void> {
    if (hashes.length === 0) return;
    await this.db
      .updateTable('memories')
      .set((eb) => ({ deleted_at: eb.ref('expires_at') }))
      .where('user_id', '=', userId)
      .where('content_hash', 'in', hashes)
      .where('deleted_at', 'is', null)
      .where('expires_at', '<=', this.#now())
      .execute();
  }

  /**
   * Replaces the text, metadata and/or expiry of the user's live memories, stamping `updated_at` with the
   * clock's time; their id, number and creation date stay. Returns the rows as stored, in the
   * order given (a memory that is not a live one of the user is left out).
   */
  async update(userId: string, updates: readonly MemoryUpdate[]): Promise<MemoryRow[]> {
    const updatedAt = new Date(this.clock.now());
    const stored: MemoryRow[] = [];
    for (const update of updates) {
      const row = await this.db
        .updateTable('memories')
        .set({
          updated_at: updatedAt,
          ...(update.content === undefined ? {} : { content: update.content, content_hash: contentHash(update.content) }),
          ...(update.metadata === undefined ? {} : { metadata: update.metadata }),
          ...(update.expiresAt === undefined ? {} : { expires_at: update.expiresAt }),
        })
        .where('user_id', '=', userId)
        .where('id', '=', update.id)
        .where(liveMemory(updatedAt))
        .returning(MEMORY_COLUMNS)
        .executeTakeFirst();
      if (row) stored.push(row);
    }
    return stored;
  }

  /**
   * Marks the user's live memories with these ids deleted; returns the ids that were (an expired one
   * is gone already). Takes the user's row first, as an insert or update of their memories does, so
   * a narrative being stored waits for the deletion's transaction or it for the narrative's (see
   * `NarrativeRepository.writeFenced`), and the one that waits sees what the other did.
   */
  async softDelete(userId: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const now = this.#now();
    const rows = await this.db
      .with('holder', (db) => db.selectFrom('users').select('id').where('id', '=', userId).forNoKeyUpdate())
      .updateTable('memories')
      .set({ deleted_at: now })
      .where('user_id', 'in', (eb) => eb.selectFrom('holder').select('id'))
      .where('id', 'in', ids)
      .where(liveMemory(now))
      .returning('id')
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Removes for good up to `limit` memories, of any user, that expired at or before `before`;
   * returns how many. The sweep calls it until it removes fewer than the limit, so no statement
   * holds many rows at once.
   */
  async purgeExpired(before: Date, limit: number): Promise<number> {
    const result = await this.db
      .deleteFrom('memories')
      .where('id', 'in', (eb) => eb.selectFrom('memories').select('id').where('expires_at', '<=', before).limit(limit))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  #now(): Date {
    return new Date(this.clock.now());
  }
}

function createdIn(range: CreatedRange | undefined) {
  return (eb: ExpressionBuilder<DatabaseSchema, 'memories'>) =>
    eb.and([
      ...(range?.from ? [eb('created_at', '>=', range.from)] : []),
      ...(range?.before ? [eb('created_at', '<', range.before)] : []),
    ]);
}
