import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type { DutyLeaders } from './duty-leaders.js';
import { readFrames, writeFrame } from './frames.js';
import { sendableError, type GuestMessage, type HostMessage } from './protocol.js';

/** A database session lent to a guest: its statements run one after another, in the order sent. */
interface LentSession {
  readonly client: Promise<PostgresPoolClient>;
  tail: Promise<unknown>;
}

/**
 * The owner's side of local sharing: serves its embedded database to the other processes on the
 * data directory over a Unix socket only its user can open. Each guest session is a session of the
 * owner's own pool, so transactions from every process take turns exactly as the owner's own do.
 * A guest whose connection ends has its open transactions rolled back and its duties given up.
 */
export class DatabaseHost {
  readonly #guests = new Map<Socket, Promise<void>>();
  readonly #listening = new Set<Socket>();

  readonly #server: Server = createServer((socket) => this.#serve(socket));
  #socketPath: string | undefined;

  constructor(
    private readonly pool: PostgresPool,
    private readonly leaders: DutyLeaders<unknown>,
  ) {}

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

  /** Stops serving: guests are cut off (their open transactions rolled back) and the socket removed. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
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
      this.leaders.releaseAll(socket);
      void Promise.all([...sessions.values()].map((session) => endSession(session, { rollback: true }))).finally(() => {
        this.#guests.delete(socket);
        ended();
      });
    });
    readFrames(socket, (frame) => {
      const message = frame as GuestMessage;
      switch (message.kind) {
        case 'connect': {
          const client = this.pool.connect();
          sessions.set(message.id, { client, tail: client });
          client.then(
            () => send(socket, { kind: 'connected', id: message.id }),
            (error: unknown) => {
              sessions.delete(message.id);
              send(socket, { kind: 'failed', id: message.id, error: sendableError(error) });
            },
          );
          return;
        }
        case 'query': {
          const session = sessions.get(message.session);
          if (!session) {
            send(socket, { kind: 'failed', id: message.id, error: sendableError(new Error('no such database session')) });
            return;
          }
          const run = session.tail.then(async () => (await session.client).query(message.sql, message.parameters));
          session.tail = run.then(
            (result) => send(socket, { kind: 'result', id: message.id, result }),
            (error: unknown) => send(socket, { kind: 'failed', id: message.id, error: sendableError(error) }),
          );
          return;
        }
        case 'release': {
          const session = sessions.get(message.session);
          sessions.delete(message.session);
          if (session) void endSession(session, { rollback: false });
          return;
        }
        case 'listen':
          this.#listening.add(socket);
          send(socket, { kind: 'listening', id: message.id });
          return;
        case 'lead':
          send(socket, { kind: 'led', id: message.id, granted: this.leaders.tryLead(message.duty, socket) });
          return;
        case 'unlead':
          this.leaders.release(message.duty, socket);
          return;
      }
    });
  }
}

async function endSession(session: LentSession, { rollback }: { rollback: boolean }): Promise<void> {
  await session.tail.catch(() => undefined);
  let client: PostgresPoolClient;
  try {
    client = await session.client;
  } catch {
    return;
  }
  if (rollback) await client.query('rollback', []).catch(() => undefined);
  client.release();
}

function send(socket: Socket, message: HostMessage): void {
  if (!socket.destroyed) writeFrame(socket, message);
}
