import type { Clock } from '../clock/clock.js';
import { SECOND_MS } from '../clock/durations.js';
import type { EngineMetrics } from './engine-metrics.js';
import type { HotUser } from './hot-user.js';

export interface HotTierOptions {
  /** Reads a user from the database, the truth the tier mirrors. */
  load: (userId: string) => Promise<HotUser>;
  /** The memory budget: least recently used users leave first. 0 turns the tier off. */
  maxBytes: number;
  /**
   * No entry is served older than this, a bound on staleness should a change notice be lost; a
   * user not asked for in this long leaves the tier.
   */
  maxAgeMs: number;
  clock: Clock;
  metrics: EngineMetrics;
}

/**
 * How long a changed user's last read is kept for its next read to start from. A user asked for
 * again after a change is asked within seconds (the conversation that added a memory goes on);
 * one that is not (a newcomer whose first narrative was just written) should not stay.
 */
const CHANGED_KEPT_MS = 10 * SECOND_MS;

interface Entry {
  readonly user: HotUser;
  readonly loadedAt: number;
  usedAt: number;
  /** False once the user changed: never served again, only kept (briefly) for the next read to start from. */
  current: boolean;
}

interface Load {
  readonly promise: Promise<HotUser>;
  /** Set when the user changed while the load was reading: its result must not be kept. */
  outdated: boolean;
}

/**
 * Users' narratives and indexed memories, held in memory so a conversation start waits on no I/O.
 * The database stays the truth: every committed change to a user reaches `invalidate` (from this
 * process directly, from others through PostgreSQL notifications), and a load that overlapped a
 * change is served once but never kept. Until the change feed is known to be live the tier only
 * passes loads through.
 *
 * A user that changed is never served again, but what was held stays a few seconds (within the
 * budget) in case the user is read again, so the new read's index starts from the old one's: an
 * index depends on the memories alone, and a memory the database still has with the same text is
 * not read twice. A user nobody asked for in `maxAgeMs` leaves, since it could not be served anyway.
 */
export class HotTier {
  readonly #entries = new Map<string, Entry>();
  readonly #loads = new Map<string, Load>();
  /** The changed users still held, oldest change first, with the time of the change. */
  readonly #changed = new Map<string, number>();
  #bytes = 0;
  #live = false;

  constructor(private readonly options: HotTierOptions) {}

  /** The user, from memory when held, current and none of its held memories expired, else read (one read per user at a time). */
  get(userId: string): Promise<HotUser> {
    const entry = this.#entries.get(userId);
    const now = this.options.clock.now();
    if (entry?.current && now - entry.loadedAt < this.options.maxAgeMs && now < (entry.user.expiresAt ?? Infinity)) {
      // Re-inserting keeps the map in least-recently-used order.
      this.#entries.delete(userId);
      this.#entries.set(userId, entry);
      entry.usedAt = now;
      this.options.metrics.hotTierRequests.inc({ result: 'hit' });
      return Promise.resolve(entry.user);
    }
    this.options.metrics.hotTierRequests.inc({ result: 'miss' });
    return this.#join(userId, entry?.user);
  }

  /** The user changed: serve nothing held of it, and keep nothing from reads under way. */
  invalidate(userId: string): void {
    const entry = this.#entries.get(userId);
    const now = this.options.clock.now();
    if (entry) {
      entry.current = false;
      this.#changed.delete(userId);
      this.#changed.set(userId, now);
    }
    this.#letChangedGo(now);
    const load = this.#loads.get(userId);
    if (load) {
      load.outdated = true;
      this.#loads.delete(userId);
    }
  }

  /** Forgets every user, e.g. when change notices may have been missed. */
  clear(): void {
    for (const userId of [...this.#entries.keys()]) this.#remove(userId);
    for (const load of this.#loads.values()) load.outdated = true;
    this.#loads.clear();
  }

  /** Whether changes are known to reach `invalidate`; while not, nothing is kept. */
  setLive(live: boolean): void {
    this.#live = live;
    if (!live) this.clear();
  }

  get size(): { users: number; bytes: number } {
    return { users: this.#entries.size, bytes: this.#bytes };
  }

  #join(userId: string, previous: HotUser | undefined): Promise<HotUser> {
    const running = this.#loads.get(userId);
    if (running) return running.promise;
    const startedAt = this.options.clock.now();
    const load: Load = {
      outdated: false,
      promise: this.options.load(userId).then(
        (user) => {
          if (this.#loads.get(userId) === load) this.#loads.delete(userId);
          if (previous) user.follow?.(previous);
          if (!load.outdated) this.#keep(userId, user, startedAt);
          return user;
        },
        (error: unknown) => {
          if (this.#loads.get(userId) === load) this.#loads.delete(userId);
          throw error;
        },
      ),
    };
    this.#loads.set(userId, load);
    return load.promise;
  }

  #keep(userId: string, user: HotUser, loadedAt: number): void {
    const { maxBytes } = this.options;
    if (!this.#live || user.bytes > maxBytes / 4) return;
    this.#remove(userId);
    const now = this.options.clock.now();
    this.#entries.set(userId, { user, loadedAt, usedAt: now, current: true });
    this.#bytes += user.bytes;
    this.#letChangedGo(now);
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= maxBytes && now - entry.usedAt < this.options.maxAgeMs) break;
      this.#remove(oldest);
    }
    this.options.metrics.hotTierBytes.set(this.#bytes);
    this.options.metrics.hotTierUsers.set(this.#entries.size);
  }

  /** Lets go of the users that changed more than a few seconds ago and were not read since. */
  #letChangedGo(now: number): void {
    for (const [userId, changedAt] of this.#changed) {
      if (now - changedAt < CHANGED_KEPT_MS) break;
      this.#remove(userId);
    }
  }

  #remove(userId: string): void {
    const entry = this.#entries.get(userId);
    if (!entry) return;
    this.#entries.delete(userId);
    this.#changed.delete(userId);
    this.#bytes -= entry.user.bytes;
    this.options.metrics.hotTierBytes.set(this.#bytes);
    this.options.metrics.hotTierUsers.set(this.#entries.size);
  }
}
