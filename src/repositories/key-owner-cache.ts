import type { Clock } from '../clock/clock.js';
import type { ApiKeyOwner } from './api-key-owner.js';

export interface KeyOwnerCacheOptions {
  /** Most keys held; the least recently used leaves first. */
  maxEntries: number;
  /** No owner is served older than this, a bound on a revoked key's life should a change notice be lost. */
  maxAgeMs: number;
  clock: Clock;
}

interface Entry<Owner> {
  readonly owner: Owner;
  readonly heldAt: number;
}

/**
 * The owners of recently used live keys (API keys, or OAuth access tokens), by key hash, so an authenticated request reads nothing.
 * Only live keys are held (an unknown key always goes to the database, so random keys cannot
 * fill it). Every change to a user's keys reaches `invalidate` (revocation in this process
 * directly, other processes through PostgreSQL notifications); a lookup that overlapped any
 * change is used once but never kept. Until the change feed is known to be live nothing is kept.
 */
export class KeyOwnerCache<Owner extends { readonly id: string } = ApiKeyOwner> {
  readonly #entries = new Map<string, Entry<Owner>>();
  readonly #hashesByUser = new Map<string, Set<string>>();
  /** Moves on at every change: a lookup that started before it may have read what the change undid. */
  #generation = 0;
  #live = false;

  constructor(private readonly options: KeyOwnerCacheOptions) {}

  /** The owner of the key with this hash, when held and young enough. */
  get(keyHash: string): Owner | undefined {
    const entry = this.#entries.get(keyHash);
    if (!entry) return undefined;
    if (this.options.clock.now() - entry.heldAt >= this.options.maxAgeMs) {
      this.#remove(keyHash);
      return undefined;
    }
    // Re-inserting keeps the map in least-recently-used order.
    this.#entries.delete(keyHash);
    this.#entries.set(keyHash, entry);
    return entry.owner;
  }

  /** Call before reading a key from the database; hand the result to `keep`. */
  lookupStarted(): number {
    return this.#generation;
  }

  /** Holds what a lookup found, unless something changed while it was reading. */
  keep(keyHash: string, owner: Owner, lookup: number): void {
    if (!this.#live || lookup !== this.#generation) return;
    this.#remove(keyHash);
    this.#entries.set(keyHash, { owner, heldAt: this.options.clock.now() });
    let hashes = this.#hashesByUser.get(owner.id);
    if (!hashes) this.#hashesByUser.set(owner.id, (hashes = new Set()));
    hashes.add(keyHash);
    for (const [oldest] of this.#entries) {
      if (this.#entries.size <= this.options.maxEntries) break;
      this.#remove(oldest);
    }
  }

  /** The user's keys changed (or might have): forget every key of theirs. */
  invalidate(userId: string): void {
    this.#generation += 1;
    for (const keyHash of this.#hashesByUser.get(userId) ?? []) this.#entries.delete(keyHash);
    this.#hashesByUser.delete(userId);
  }

  /** Forgets every key, e.g. when change notices may have been missed. */
  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
    this.#hashesByUser.clear();
  }

  /** Whether changes are known to reach `invalidate`; while not, nothing is kept. */
  setLive(live: boolean): void {
    this.#live = live;
    if (!live) this.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #remove(keyHash: string): void {
    const entry = this.#entries.get(keyHash);
    if (!entry) return;
    this.#entries.delete(keyHash);
    const hashes = this.#hashesByUser.get(entry.owner.id);
    hashes?.delete(keyHash);
    if (hashes?.size === 0) this.#hashesByUser.delete(entry.owner.id);
  }
}
