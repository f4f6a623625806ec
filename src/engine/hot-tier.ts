import type { Clock } from '../clock/clock.js';
import type { EngineMetrics } from './engine-metrics.js';
import type { HotUser } from './hot-user.js';

export interface HotTierOptions {
  /** Reads a user from the database, the truth the tier mirrors. */
  load: (userId: string) => Promise<HotUser>;
  /** The memory budget: least recently used users leave first. 0 turns the tier off. */
  maxBytes: number;
  /** No entry is served older than this, a bound on staleness should a change notice be lost. */
  maxAgeMs: number;
  clock: Clock;
  metrics: EngineMetrics;
}

interface Entry {
  readonly user: HotUser;
  readonly loadedAt: number;
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
 */
export class HotTier {
  readonly #entries = new Map<string, Entry>();
  readonly #loads = new Map<string, Load>();
  #bytes = 0;
  #live = false;

  constructor(private readonly options: HotTierOptions) {}

  /** The user, from memory when held and current, else read (one read per user at a time). */
  get(userId: string): Promise<HotUser> {
    const entry = this.#entries.get(userId);
    if (entry && this.options.clock.now() - entry.loadedAt < this.options.maxAgeMs) {
      // Re-inserting keeps the map in least-recently-used order.
      this.#entries.delete(userId);
      this.#entries.set(userId, entry);
      this.options.metrics.hotTierRequests.inc({ result: 'hit' });
      return Promise.resolve(entry.user);
    }
    if (entry) this.#remove(userId);
    this.options.metrics.hotTierRequests.inc({ result: 'miss' });
    return this.#join(userId);
  }

  /** The user changed: forget what is held, and keep nothing from reads under way. */
  invalidate(userId: string): void {
    this.#remove(userId);
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

  #join(userId: string): Promise<HotUser> {
    const running = this.#loads.get(userId);
    if (running) return running.promise;
    const startedAt = this.options.clock.now();
    const load: Load = {
      outdated: false,
      promise: this.options.load(userId).then(
        (user) => {
          if (this.#loads.get(userId) === load) this.#loads.delete(userId);
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
    this.#entries.set(userId, { user, loadedAt });
    this.#bytes += user.bytes;
    for (const [oldest] of this.#entries) {
      if (this.#bytes <= maxBytes) break;
      this.#remove(oldest);
    }
    this.options.metrics.hotTierBytes.set(this.#bytes);
  }

  #remove(userId: string): void {
    const entry = this.#entries.get(userId);
    if (!entry) return;
    this.#entries.delete(userId);
    this.#bytes -= entry.user.bytes;
    this.options.metrics.hotTierBytes.set(this.#bytes);
  }
}
