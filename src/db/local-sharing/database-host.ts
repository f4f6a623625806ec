import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type { Clock } from '../../clock/clock.js';
import { SECOND_MS } from '../../clock/durations.js';
import { SessionLostError } from '../session-lost-error.js';
import type { DutyLeaders } from './duty-leaders.js';
import { readFrames, writeFrame } from './frames.js';
import { sendableError, type GuestMessage, type HostMessage } from './protocol.js';

/** How long a closing owner lets its guests finish the sessions they hold. */
const DRAIN_MS = 5 * SECOND_MS;

/** A database session lent to a guest: its statements run one after another, in the order sent. */
interface LentSession {
  readonly client: Promise<PostgresPoolClient>;
  tail: Promise<unknown>;
  /** Statements sent and not yet answered. */
  running: number;
  /** Watches for the guest falling silent while it holds the session. */
  silence: AbortController | undefined;
  /** Taken back (rolled back and returned to the pool); nothing more runs on it. */
  ended: boolean;
}

export interface DatabaseHostOptions {
  readonly pool: PostgresPool;
  readonly leaders: DutyLeaders<unknown>;
  readonly clock: Clock;
  /**
   * A guest that holds a session and sends nothing for this long (a stopped or hung process) has
   * it taken back, its transaction rolled back, so the other processes are not kept waiting.
   * 0 never takes one back.
   */
  readonly idleSessionMs: number;
}

/**
 * The owner's side of local sharing: serves its embedded database to the other processes on the
 * data directory over a Unix socket only its user can open. Each guest session is a session of the
 * owner's own pool, so transactions from every process take turns exactly as the owner's own do.
 * A guest whose connection ends has its open transactions rolled back and its duties given up.
 */
export class DatabaseHost {
  readonly #guests = new Map<Socket, Promise<void>>();
  /** Sessions granted to guests and not yet ended. */
  readonly #lent = new Set<LentSession>();
  #allReturned: (() => void) | undefined;
  #draining = false;
  readonly #listening = new Set<Socket>();

  readonly #server: Server = createServer((socket) => this.#serve(socket));
  #socketPath: string | undefined;

  constructor(private readonly options: DatabaseHostOptions) {}

  /** Listens on `socketPath`, replacing what a previous owner left there. */
  async listen(socketPath: string): Promise<void> {
    await rm(socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(socketPath, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#socketPath = socketPath;
    await chmod(socketPath, 0o600);
  }

  /** Forwards a committed change to every guest that listens. */
  announce(userId: string): void {
    for (const socket of this.#listening) send(socket, { kind: 'changed', userId });
  }

  /**
   * Stops serving. Sessions guests hold may finish (for up to `DRAIN_MS`); sessions they ask for
   * from now on are left for the next owner to grant. Then guests are cut off (what they still
   * hold rolled back) and the socket removed.
   */
  async close(): Promise<void> {
    this.#draining = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (this.#lent.size > 0) {
      const returned = new Promise<void>((resolve) => (this.#allReturned = resolve));
      const grace = new AbortController();
      await Promise.race([returned, this.options.clock.sleep(DRAIN_MS, grace.signal).catch(() => undefined)]);
      grace.abort();
    }
    for (const socket of this.#guests.keys()) socket.destroy();
    await Promise.all(this.#guests.values());
    await closed;
    if (this.#socketPath) await rm(this.#socketPath, { force: true });
  }

  #serve(socket: Socket): void {
    const sessions = new Map<number, LentSession>();
    let ended!: () => void;
    this.#guests.set(socket, new Promise((resolve) => (ended = resolve)));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#listening.delete(socket);
      this.options.leaders.releaseAll(socket);
      void Promise.all([...sessions.values()].map((session) => this.#end(session, { rollback: true }))).finally(() => {
        this.#guests.delete(socket);
        ended();
      });
    });
    readFrames(socket, (frame) => {
      const message = frame as GuestMessage;
      switch (message.kind) {
        case 'connect': {
          // Not answered: when this owner has gone, the guest asks the next one.
          if (this.#draining) return;
          const client = this.options.pool.connect();
          const session: LentSession = { client, tail: client, running: 0, silence: undefined, ended: false };
          sessions.set(message.id, session);
          client.then(
            () => {
              if (this.#draining) {
                void this.#end(session, { rollback: false });
                return;
              }
              this.#lent.add(session);
              this.#watchSilence(session);
              send(socket, { kind: 'connected', id: message.id });
            },
            (error: unknown) => {
              sessions.delete(message.id);
              send(socket, { kind: 'failed', id: message.id, error: sendableError(error) });
            },
          );
          return;
        }
        case 'query': {
          const session = sessions.get(message.session);
          if (!session || session.ended) {
            const error = session ? new SessionLostError(new Error('the session was silent too long and was taken back')) : new Error('no such database session');
            send(socket, { kind: 'failed', id: message.id, error: sendableError(error) });
            return;
          }
          session.running++;
          session.silence?.abort();
          const run = session.tail.then(async () => (await session.client).query(message.sql, message.parameters));
          session.tail = run
            .then(
              (result) => send(socket, { kind: 'result', id: message.id, result }),
              (error: unknown) => send(socket, { kind: 'failed', id: message.id, error: sendableError(error) }),
            )
            .finally(() => {
              session.running--;
              this.#watchSilence(session);
            });
          return;
        }
        case 'release': {
          const session = sessions.get(message.session);
          sessions.delete(message.session);
          if (session) void this.#end(session, { rollback: false });
          return;
        }
        case 'listen':
          this.#listening.add(socket);
          send(socket, { kind: 'listening', id: message.id });
          return;
        case 'lead':
          send(socket, { kind: 'led', id: message.id, granted: this.options.leaders.tryLead(message.duty, socket) });
          return;
        case 'unlead':
          this.options.leaders.release(message.duty, socket);
          return;
      }
    });
  }

  #watchSilence(session: LentSession): void {
    if (this.options.idleSessionMs <= 0 || session.running > 0 || session.ended) return;
    const silence = new AbortController();
    session.silence = silence;
    this.options.clock.sleep(this.options.idleSessionMs, silence.signal).then(
      () => {
        if (session.silence === silence && session.running === 0) void this.#end(session, { rollback: true });
      },
      () => undefined,
    );
  }

  async #end(session: LentSession, { rollback }: { rollback: boolean }): Promise<void> {
    if (session.ended) return;
    session.ended = true;
    session.silence?.abort();
    await session.tail.catch(() => undefined);
    let client: PostgresPoolClient;
    try {
      client = await session.client;
    } catch {
      return;
    }
    if (rollback) await client.query('rollback', []).catch(() => undefined);
    client.release();
    this.#lent.delete(session);
    if (this.#lent.size === 0) this.#allReturned?.();
  }
}

function send(socket: Socket, message: HostMessage): void {
  if (!socket.destroyed) writeFrame(socket, message);
}
