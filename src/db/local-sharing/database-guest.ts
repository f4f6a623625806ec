import { connect, type Socket } from 'node:net';
import type { PostgresPoolClient, PostgresQueryResult } from 'kysely';
import { SessionLostError } from '../session-lost-error.js';
import { readFrames, writeFrame } from './frames.js';
import { receivedError, type GuestMessage, type HostMessage } from './protocol.js';

interface Waiting {
  resolve(message: HostMessage): void;
  reject(error: Error): void;
}

/**
 * A process's connection to the owner of the embedded database it shares: sessions, duties and
 * change announcements, all over one Unix socket. When the owner goes, everything waiting fails
 * as a lost session and `closed` resolves, so the process can find the next owner.
 */
export class DatabaseGuest {
  readonly closed: Promise<void>;
  #nextId = 1;
  readonly #waiting = new Map<number, Waiting>();
  #onChange: (userId: string) => void = () => undefined;
  #lost = false;

  private constructor(private readonly socket: Socket) {
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#lost = true;
        const error = new SessionLostError(new Error('the process that owns the embedded database ended'));
        for (const waiting of this.#waiting.values()) waiting.reject(error);
        this.#waiting.clear();
        resolve();
      }),
    );
    socket.on('error', () => undefined);
    readFrames(socket, (frame) => {
      const message = frame as HostMessage;
      if (message.kind === 'changed') {
        this.#onChange(message.userId);
        return;
      }
      const waiting = this.#waiting.get(message.id);
      this.#waiting.delete(message.id);
      if (message.kind === 'failed') waiting?.reject(receivedError(message.error));
      else waiting?.resolve(message);
    });
  }

  /** Connects to the owner's socket; rejects when no owner listens there (yet). */
  static connect(socketPath: string): Promise<DatabaseGuest> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new DatabaseGuest(socket));
      });
    });
  }

  get lost(): boolean {
    return this.#lost;
  }

  /** A session of the shared database, granted when it is this process's turn. */
  async session(): Promise<PostgresPoolClient> {
    const { id } = (await this.#ask((id) => ({ kind: 'connect', id }))) as Extract<HostMessage, { kind: 'connected' }>;
    let released = false;
    return {
      query: async <R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> => {
        if (released) throw new Error('query on a released database session');
        const answer = await this.#ask((queryId) => ({ kind: 'query', id: queryId, session: id, sql, parameters: [...parameters] }));
        return (answer as Extract<HostMessage, { kind: 'result' }>).result as PostgresQueryResult<R>;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#tell({ kind: 'release', session: id });
      },
    } as PostgresPoolClient;
  }

  /** Hears of every committed change from now on, wherever it was made. */
  async listen(onChange: (userId: string) => void): Promise<void> {
    this.#onChange = onChange;
    await this.#ask((id) => ({ kind: 'listen', id }));
  }

  async tryLead(duty: string): Promise<boolean> {
    const answer = await this.#ask((id) => ({ kind: 'lead', id, duty }));
    return (answer as Extract<HostMessage, { kind: 'led' }>).granted;
  }

  unlead(duty: string): void {
    this.#tell({ kind: 'unlead', duty });
  }

  close(): Promise<void> {
    this.socket.end();
    return this.closed;
  }

  /** Drops the connection at once: everything waiting fails as a lost session. */
  abandon(): void {
    this.socket.destroy();
  }

  #ask(message: (id: number) => GuestMessage): Promise<HostMessage> {
    if (this.#lost) return Promise.reject(new SessionLostError(new Error('the process that owns the embedded database ended')));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      writeFrame(this.socket, message(id));
    });
  }

  #tell(message: GuestMessage): void {
    if (!this.#lost) writeFrame(this.socket, message);
  }
}
