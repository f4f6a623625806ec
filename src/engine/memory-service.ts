import { isDeepStrictEqual } from 'node:util';
import type { Clock } from '../clock/clock.js';
import type { MemoryRow } from '../db/database-schema.js';
import { UserFacingError } from '../errors/user-facing-error.js';
import { isExpired, resolveExpiry } from '../memories/memory-expiry.js';
import { contentHash, type MemoryInput, type NewMemory } from '../memories/memory-input.js';
import {
  checkMemoryUpdate,
  type MemoryUpdate,
  type MemoryUpdateError,
  type MemoryUpdateRequest,
} from '../memories/memory-update.js';
import type { AddMemoriesResult, CreatedRange, ScoredMemory } from '../repositories/memory-repository.js';
import type { RepositorySet } from '../repositories/repository-set.js';
import type { RankOptions } from '../search/memory-index.js';
import { exportLines, type ExportSummary } from './export-memories.js';
import type { HotTier } from './hot-tier.js';
import type { NarrativeJobRunner } from './narrative-job-runner.js';

export interface SearchOptions extends RankOptions {
  created?: CreatedRange;
}

export interface AddedMemories extends AddMemoriesResult {
  totalMemories: number;
}

export interface MemoryPage {
  memories: MemoryRow[];
  /** Pass back to get the next page; null on the last one. */
  nextCursor: string | null;
}

export interface DeletedMemories {
  deleted: string[];
  notFound: string[];
  narrativeInvalidated: boolean;
}

/** The outcome of a call that updates memories: all of them updated, or none and why. */
export type UpdatedMemories =
  | {
      ok: true;
      /** Each memory as stored after the call, in the order asked. */
      updated: MemoryRow[];
      /** The narrative was built from an old text: it is stale, and rewritten when `rewriteNarrative`. */
      narrativeInvalidated: boolean;
    }
  | { ok: false; errors: MemoryUpdateError[] };

/** What a user can do with their memories, whichever surface asks. */
export class MemoryService {
  constructor(
    private readonly deps: {
      repositories: RepositorySet;
      tier: HotTier;
      runner: NarrativeJobRunner;
      clock: Clock;
      maxMemoryChars: number;
    },
  ) {}

  get maxMemoryChars(): number {
    return this.deps.maxMemoryChars;
  }

  /**
   * Stores memories and counts them against the narrative's freshness, in one transaction. A call
   * with any memory whose expiry cannot be stored (both `expires_at` and `ttl_days`, or a moment
   * not in the future) stores nothing, and says why for each such memory.
   */
  async add(userId: string, inputs: readonly MemoryInput[], source: string): Promise<AddedMemories> {
    const memories = withExpiries(inputs, this.deps.clock.now());
    try {
      return await this.deps.repositories.transaction(async (trx) => {
        const result = await addMemories(trx, userId, memories, source);
        return { ...result, totalMemories: await trx.memories.count(userId) };
      });
    } finally {
      this.deps.tier.invalidate(userId);
    }
  }

  /**
   * The user's memories most relevant to the query, best first, ranked in process (so every
   * database ranks alike); a user with more memories than the tier holds is searched in SQL.
   * `created` keeps the memories created in the range: the best `limit` of those; `byMeaning`
   * false finds only memories that share a word with the query (see `RankOptions`).
   */
  async search(userId: string, query: string, limit: number, { created, byMeaning }: SearchOptions = {}): Promise<ScoredMemory[]> {
    const user = await this.deps.tier.get(userId);
    // PostgreSQL refuses NUL in text; in process it only parts words, as a space does.
    if (!user.complete) return this.deps.repositories.memories.search(userId, query.replaceAll('\u0000', ' '), limit, created);
    const ranking = byMeaning === undefined ? {} : { byMeaning };
    const ranked = created
      ? user.index.rank(query, user.index.size, ranking).filter(({ memory }) => isCreatedIn(memory, created)).slice(0, limit)
      : user.index.rank(query, limit, ranking);
    return ranked.map(({ memory, score }) => ({ ...memory, score }));
  }

  /**
   * A page of the user's live memories, newest first (those created in `created` only, when
   * given). The cursor places the next page after the last memory shown, so memories added or
   * deleted meanwhile neither repeat one nor skip one.
   */
  async list(userId: string, limit: number, cursor?: string, created?: CreatedRange): Promise<MemoryPage> {
    const before = cursor === undefined ? undefined : decodeCursor(cursor);
    const memories = await this.deps.repositories.memories.recent(userId, {
      limit: limit + 1,
      ...(before ? { before } : {}),
      ...(created ? { created } : {}),
    });
    const page = memories.slice(0, limit);
    const last = page.at(-1);
    return { memories: page, nextCursor: memories.length > limit && last ? encodeCursor(last) : null };
  }

  /** How many live memories the user has (those created in `created` only, when given). */
  count(userId: string, created?: CreatedRange): Promise<number> {
    return this.deps.repositories.memories.countCreated(userId, created);
  }

  /**
   * The memories and narrative of these users (by external id; all users when absent) as JSON Lines
   * in the import format, read a page at a time; `summary` counts what was written as it goes.
   */
  exportLines(options: { users?: readonly string[]; pageSize?: number }, summary: ExportSummary): AsyncGenerator<string> {
    return exportLines(this.deps.repositories, { ...options, clock: this.deps.clock }, summary);
  }

  /**
   * Forgets memories. When the narrative was built from any of them it is marked stale at once
   * and rewritten in the background, so the forgotten fact leaves it.
   */
  async delete(userId: string, ids: readonly string[]): Promise<DeletedMemories> {
    const unique = [...new Set(ids)];
    const now = new Date(this.deps.clock.now());
    const result = await this.deps.repositories
      .transaction(async (trx) => {
        const deleted = await trx.memories.softDelete(userId, unique);
        const narrativeInvalidated = await trx.narratives.invalidateIfBuiltFrom(userId, deleted, 'memory_deleted', now);
        return { deleted, narrativeInvalidated };
      })
      .finally(() => this.deps.tier.invalidate(userId));
    if (result.narrativeInvalidated) this.deps.runner.request(userId, 'manual');
    const deletedSet = new Set(result.deleted);
    return { ...result, notFound: unique.filter((id) => !deletedSet.has(id)) };
  }

  /**
   * Corrects memories: each keeps its id, number and creation date, and gets the new text, the new
   * metadata, the new expiry or several, and `updated_at`. The whole call is checked first and
   * written in one transaction, all or nothing: when any correction is refused, none is written
   * and each refused one is reported with why. A narrative built from a text that changed is
   * marked stale at once and, unless `rewriteNarrative` is false, rewritten in full in the
   * background, as after a deletion; one built from a memory whose expiry changed takes the new
   * one into its own. A correction that changes nothing is not written.
   */
  async update(
    userId: string,
    requests: readonly MemoryUpdateRequest[],
    options: { rewriteNarrative?: boolean } = {},
  ): Promise<UpdatedMemories> {
    const errors: MemoryUpdateError[] = [];
    const checked: { index: number; update: MemoryUpdate }[] = [];
    const firstIndexOf = new Map<string, number>();
    const now = new Date(this.deps.clock.now());
    requests.forEach((request, index) => {
      const result = checkMemoryUpdate(request, this.deps.maxMemoryChars, now.getTime());
      const id = 'update' in result ? result.update.id : request.id.toLowerCase();
      const earlier = firstIndexOf.get(id);
      if (earlier === undefined) firstIndexOf.set(id, index);
      if (!('update' in result)) {
        errors.push({ index, id: request.id, ...result });
      } else if (earlier !== undefined) {
        errors.push({ index, id: request.id, reason: 'repeated_id', message: `memory ${request.id} is already updated by item ${earlier} of this call` });
      } else {
        checked.push({ index, update: result.update });
      }
    });
    const result = await this.deps.repositories
      .transaction(async (trx): Promise<UpdatedMemories> => {
        const current = new Map((await trx.memories.lockForUpdate(userId, checked.map(({ update }) => update.id))).map((row) => [row.id, row]));
        const liveHolders = await trx.memories.liveWithHashes(
          userId,
          checked.flatMap(({ update }) => (update.content === undefined ? [] : [contentHash(update.content)])),
        );
        const holderOf = new Map(liveHolders.map((holder) => [holder.content_hash, holder.id]));
        const claimedBy = new Map<string, number>();
        for (const { index, update } of checked) {
          const refusal = refusalOf(update, current.get(update.id), holderOf, claimedBy, index, now);
          if (refusal) errors.push({ index, id: requests[index]!.id, ...refusal });
        }
        if (errors.length > 0) return { ok: false, errors: errors.sort((a, b) => a.index - b.index) };

        const changes = checked.map(({ update }) => changesOf(update, current.get(update.id)!)).filter((change) => change !== undefined);
        await trx.memories.releaseExpiredTexts(userId, changes.flatMap((change) => (change.content === undefined ? [] : [contentHash(change.content)])));
        const stored = new Map((await trx.memories.update(userId, changes)).map((row) => [row.id, row]));
        const rewritten = changes.filter((change) => change.content !== undefined).map((change) => change.id);
        const narrativeInvalidated = await trx.narratives.invalidateIfBuiltFrom(userId, rewritten, 'memory_updated', now);
        const reexpired = changes.filter((change) => change.expiresAt !== undefined).map((change) => change.id);
        await trx.narratives.recomputeSourceExpiry(userId, reexpired);
        return { ok: true, updated: checked.map(({ update }) => stored.get(update.id) ?? current.get(update.id)!), narrativeInvalidated };
      })
      .finally(() => this.deps.tier.invalidate(userId));
    if (result.ok && result.narrativeInvalidated && (options.rewriteNarrative ?? true)) this.deps.runner.request(userId, 'manual');
    return result;
  }
}

/**
 * Why the database refuses one checked correction, if it does: the memory is not a live one of the
 * user, or its new text is one the user already has in another live memory or gives to another
 * memory earlier in the call (`claimedBy`, which this records the text in otherwise).
 */
function refusalOf(
  update: MemoryUpdate,
  current: MemoryRow | undefined,
  holderOf: ReadonlyMap<string, string>,
  claimedBy: Map<string, number>,
  index: number,
  now: Date,
): Pick<MemoryUpdateError, 'reason' | 'message'> | undefined {
  if (!current) return { reason: 'not_found', message: `no memory ${update.id} among this user's memories` };
  // Before the deletion check: an expired memory whose text was told again is marked deleted at its expiry.
  if (isExpired(current.expires_at, now.getTime())) {
    return { reason: 'expired', message: `memory ${update.id} expired at ${current.expires_at!.toISOString()}; an expired memory cannot be changed` };
  }
  if (current.deleted_at !== null) return { reason: 'deleted', message: `memory ${update.id} was deleted; a deleted memory cannot be changed` };
  if (update.content === undefined) return undefined;
  const hash = contentHash(update.content);
  const holder = holderOf.get(hash);
  if (holder !== undefined && holder !== update.id) {
    return { reason: 'duplicate', message: `the user already has this text as memory ${holder}` };
  }
  const earlier = claimedBy.get(hash);
  if (earlier !== undefined) return { reason: 'duplicate', message: `item ${earlier} of this call gives another memory this text` };
  claimedBy.set(hash, index);
  return undefined;
}

/** What a correction changes of the memory as stored, or undefined when nothing. */
function changesOf(update: MemoryUpdate, current: MemoryRow): MemoryUpdate | undefined {
  const content = update.content !== undefined && update.content !== current.content ? update.content : undefined;
  const metadata = update.metadata !== undefined && !isDeepStrictEqual(update.metadata, current.metadata) ? update.metadata : undefined;
  const expiresAt = update.expiresAt !== undefined && update.expiresAt?.getTime() !== current.expires_at?.getTime() ? update.expiresAt : undefined;
  if (content === undefined && metadata === undefined && expiresAt === undefined) return undefined;
  return {
    id: update.id,
    ...(content === undefined ? {} : { content }),
    ...(metadata === undefined ? {} : { metadata }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
}

/**
 * The memories with their expiry resolved at `now`; a refusal naming each memory (by its place in
 * the call) whose expiry cannot be stored.
 */
function withExpiries(inputs: readonly MemoryInput[], now: number): NewMemory[] {
  const problems: string[] = [];
  const memories = inputs.map(({ ttl_days, ...memory }, index): NewMemory => {
    const expiry = resolveExpiry({ expires_at: memory.expires_at, ttl_days }, now);
    if ('problem' in expiry) {
      problems.push(`memories.${index}: ${expiry.problem}`);
      return memory;
    }
    const { expires_at: _asked, ...rest } = memory;
    if (expiry.expiresAt === null) return rest;
    // A memory kept `ttl_days` is kept exactly that long from its own creation.
    const createdAt = ttl_days === undefined ? {} : { created_at: memory.created_at ?? new Date(now) };
    return { ...rest, ...createdAt, expires_at: expiry.expiresAt };
  });
  if (problems.length > 0) {
    const refused = problems.length === 1 ? '1 memory was refused' : `${problems.length} memories were refused`;
    throw new UserFacingError(`Nothing was stored; ${refused}:\n${problems.map((problem) => `- ${problem}`).join('\n')}`);
  }
  return memories;
}

/** Inserts memories and notes them on the user's narrative; call inside a transaction. */
export async function addMemories(
  repositories: RepositorySet,
  userId: string,
  inputs: readonly NewMemory[],
  source: string,
): Promise<AddMemoriesResult> {
  const result = await repositories.memories.addMany(userId, inputs, source);
  await repositories.narratives.noteNewMemories(userId, result.added.length);
  return result;
}

function isCreatedIn(memory: MemoryRow, range: CreatedRange): boolean {
  const at = memory.created_at.getTime();
  return (range.from === undefined || at >= range.from.getTime()) && (range.before === undefined || at < range.before.getTime());
}

/** A UUID as the database writes it: a cursor with any other id is refused here instead of failing in SQL. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function encodeCursor(memory: MemoryRow): string {
  return Buffer.from(JSON.stringify([memory.created_at.toISOString(), memory.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(createdAt);
    // Years outside 1-9999 are valid in JavaScript but not storable (nor returned) by PostgreSQL.
    if (typeof id !== 'string' || !UUID.test(id) || !(date.getUTCFullYear() >= 1 && date.getUTCFullYear() <= 9999)) {
      throw new Error('bad cursor');
    }
    return { createdAt: date, id };
  } catch {
    throw new UserFacingError('cursor is not one this server returned; start again without a cursor');
  }
}
