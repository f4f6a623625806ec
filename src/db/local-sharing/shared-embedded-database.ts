import { mkdir } from 'node:fs/promises';
import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type { Logger } from 'pino';
import type { Clock } from '../../clock/clock.js';
import { SECOND_MS } from '../../clock/durations.js';
import { systemClock } from '../../clock/system-clock.js';
import { UserFacingError } from '../../errors/user-facing-error.js';
import type { LeaderLock } from '../leader-lock.js';
import { createPglite } from '../create-pglite.js';
import { PglitePool } from '../pglite-pool.js';
import { USER_CHANGED_CHANNEL, type UserChangeListener } from '../user-change-feed.js';
import { DatabaseGuest } from './database-guest.js';
import { DatabaseHost } from './database-host.js';
import { DutyLeaders } from './duty-leaders.js';
import { claimOwnership, readOwner, type Ownership } from './owner-election.js';
import { socketPathFor } from './socket-path.js';

/** How long a process starting waits for an owner that is alive but does not answer. */
const STARTUP_WAIT_MS = 30 * SECOND_MS;
const IDLE_SESSION_MS = 30 * SECOND_MS;
const RETRY_FIRST_MS = 10;
const RETRY_MOST_MS = 200;
/** How long an owner may take to answer a new guest, which it does without touching the database. */
const HANDSHAKE_MS = 3 * SECOND_MS;

type Role =
  | {
      readonly kind: 'owner';
      readonly pglite: PGlite;
      readonly pool: PglitePool;
      readonly host: DatabaseHost;
      readonly ownership: Ownership;
      readonly leaders: DutyLeaders<unknown>;
      readonly unlisten: () => Promise<void>;
    }
  | { readonly kind: 'guest'; readonly guest: DatabaseGuest };

/** The owner's own hold on a duty, beside its guests'. */
const OWNER = Symbol('owner');

export interface SharedEmbeddedDatabaseOptions {
  readonly dataDir: string;
  readonly logger?: Logger | undefined;
  /** How long to wait at start for an owner that does not answer (default 30 s). */
  readonly startupWaitMs?: number;
  /** How long a guest may hold a session without a word before the owner takes it back (default 30 s; 0 never). */
  readonly idleSessionMs?: number;
  readonly clock?: Clock;
}

/**
 * One embedded data directory shared by every local process that opens it. The first process to
 * claim the directory (see `owner-election`) opens PGlite and serves it to the others over a Unix
 * socket; the others are guests that hold no database. When the owner goes (exits, is killed),
 * its guests elect a new owner among themselves, which opens the directory and serves in turn.
 * Sessions a guest held in the old owner fail as lost; sessions it was waiting for are granted by
 * the new owner.
 */
export class SharedEmbeddedDatabase {
  readonly pool: PostgresPool;
  #role: Promise<Role>;
  readonly #listeners = new Set<UserChangeListener>();
  #closed: Promise<void> | undefined;

  private readonly dataDir: string;
  private readonly logger: Logger | undefined;
  private readonly clock: Clock;
  private readonly idleSessionMs: number;

  private constructor(
    options: SharedEmbeddedDatabaseOptions,
    private readonly socketPath: string,
  ) {
    this.dataDir = options.dataDir;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.idleSessionMs = options.idleSessionMs ?? IDLE_SESSION_MS;
    this.#role = this.#settle(Date.now() + (options.startupWaitMs ?? STARTUP_WAIT_MS));
    this.pool = { connect: () => this.#session(), end: () => this.close() };
  }

  static async open(options: SharedEmbeddedDatabaseOptions): Promise<SharedEmbeddedDatabase> {
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    const database = new SharedEmbeddedDatabase(options, await socketPathFor(options.dataDir));
    await database.#role;
    return database;
  }

  /** Whether this process owns the directory now (for tests and the status line). */
  async isOwner(): Promise<boolean> {
    return (await this.#role).kind === 'owner';
  }

  async listenForUserChanges(listener: UserChangeListener): Promise<() => Promise<void>> {
    this.#listeners.add(listener);
    await this.#role;
    listener.listening();
    return async () => {
      this.#listeners.delete(listener);
    };
  }

  async tryLeaderLock(duty: string): Promise<LeaderLock | undefined> {
    const role = await this.#role;
    if (role.kind === 'owner') {
      if (!role.leaders.tryLead(duty, OWNER)) return undefined;
      return {
        isHeld: async () => this.#closed === undefined && role.leaders.leads(duty, OWNER),
        release: async () => role.leaders.release(duty, OWNER),
      };
    }
    if (!(await role.guest.tryLead(duty))) return undefined;
    return {
      isHeld: async () => !role.guest.lost,
      release: async () => role.guest.unlead(duty),
    };
  }

  /** Gives the directory up: a guest disconnects; an owner cuts its guests off, closes PGlite, then releases. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const role = await this.#role.catch(() => undefined);
      if (role?.kind === 'guest') await role.guest.close();
      if (role?.kind === 'owner') {
        await role.host.close();
        await role.unlisten();
        await role.pool.end();
        await role.ownership.release();
      }
    })();
    return this.#closed;
  }

  async #session(): Promise<PostgresPoolClient> {
    for (;;) {
      const role = await this.#role;
      if (role.kind === 'owner') return role.pool.connect();
      try {
        return await role.guest.session();
      } catch (error) {
        // Asked of an owner that ended before granting it: ask the next one.
        if (!role.guest.lost) throw error;
        await role.guest.closed;
      }
    }
  }

  async #settle(deadline = Number.POSITIVE_INFINITY): Promise<Role> {
    let retryMs = RETRY_FIRST_MS;
    for (;;) {
      if (this.#closed) throw new Error('the embedded database was closed');
      const owner = await readOwner(this.dataDir);
      if (!owner.alive) {
        const ownership = await claimOwnership(this.dataDir, owner.generation + 1);
        if (ownership) return this.#becomeOwner(ownership);
        continue;
      }
      try {
        return await this.#becomeGuest(await DatabaseGuest.connect(this.socketPath), owner.record.pid);
      } catch {
        // The owner is still opening the database, or closing it.
      }
      if (Date.now() > deadline) {
        throw new UserFacingError(
          `the embedded database in ${this.dataDir} is owned by process ${owner.record.pid}, which does not answer on ${this.socketPath}; ` +
            'if that process is not a narrative-mcp, stop it or remove the directory ' +
            `${this.dataDir}/owners`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      retryMs = Math.min(retryMs * 2, RETRY_MOST_MS);
    }
  }

  /** After the owner ended, tries on until this process owns or shares the directory again. */
  async #settleUntilSettled(): Promise<Role> {
    for (;;) {
      try {
        return await this.#settle();
      } catch (error) {
        if (this.#closed) throw error;
        this.logger?.error({ err: error }, 'could not take over the embedded database; trying again');
        await new Promise((resolve) => setTimeout(resolve, SECOND_MS));
      }
    }
  }

  async #becomeOwner(ownership: Ownership): Promise<Role> {
    let pglite: PGlite | undefined;
    try {
      pglite = await createPglite(this.dataDir);
      const pool = new PglitePool(pglite);
      const leaders = new DutyLeaders<unknown>();
      const host = new DatabaseHost({ pool, leaders, clock: this.clock, idleSessionMs: this.idleSessionMs });
      // Before any guest can open a transaction: LISTEN runs on PGlite's one session directly.
      const unlisten = await pglite.listen(USER_CHANGED_CHANNEL, (userId) => {
        host.announce(userId);
        for (const listener of this.#listeners) listener.changed(userId);
      });
      await host.listen(this.socketPath);
      for (const listener of this.#listeners) listener.listening();
      this.logger?.debug({ dataDir: this.dataDir, generation: ownership.generation }, 'serving the embedded database to local processes');
      return { kind: 'owner', pglite, pool, host, ownership, leaders, unlisten };
    } catch (error) {
      await pglite?.close().catch(() => undefined);
      await ownership.release();
      throw error;
    }
  }

  async #becomeGuest(guest: DatabaseGuest, ownerPid: number): Promise<Role> {
    // A connection made to an owner that is being killed can be queued on its socket and then
    // neither accepted nor closed: a guest that hears nothing gives it up and looks again.
    const silent = setTimeout(() => guest.abandon(), HANDSHAKE_MS);
    try {
      await guest.listen((userId) => {
        for (const listener of this.#listeners) listener.changed(userId);
      });
    } finally {
      clearTimeout(silent);
    }
    for (const listener of this.#listeners) listener.listening();
    void guest.closed.then(() => {
      if (this.#closed) return;
      for (const listener of this.#listeners) listener.stopped();
      this.logger?.info({ dataDir: this.dataDir, ownerPid }, 'the process that owned the embedded database ended; finding the next owner');
      this.#role = this.#settleUntilSettled();
    });
    this.logger?.debug({ dataDir: this.dataDir, ownerPid }, 'sharing the embedded database of another local process');
    return { kind: 'guest', guest };
  }
}
