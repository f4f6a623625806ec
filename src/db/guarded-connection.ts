import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import type postgres from 'postgres';
import { isSessionLost } from './is-session-lost.js';
import type { PooledSession } from './pooled-session.js';
import { SessionLostError } from './session-lost-error.js';

const COUNTED_COMMANDS: ReadonlySet<string> = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE']);

/**
 * Kysely's hold on a pooled session that sends nothing once the session is gone. Its session is
 * lost when a statement fails with a connection-level error or when its connection closes; from
 * then on every statement fails at once with `SessionLostError`, where postgres.js would run it on
 * a new connection, outside the transaction or without the advisory lock the holder thinks it has.
 */
export class GuardedConnection implements DatabaseConnection {
  readonly session: PooledSession;
  #lost: { cause: unknown } | undefined;
  readonly #waiting = new Set<(error: Error) => void>();

  constructor(session: PooledSession) {
    this.session = session;
    session.onClose = (cause) => this.#lose(cause);
  }

  get isLost(): boolean {
    return this.#lost !== undefined;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#lost) throw new SessionLostError(this.#lost.cause);
    const parameters = [...compiledQuery.parameters] as postgres.ParameterOrJSON<never>[];
    const result = await this.#settled(this.session.sql.unsafe(compiledQuery.sql, parameters, {
      // A statement without parameters goes by the simple protocol, never prepared.
      prepare: parameters.length > 0 && this.session.prepares(compiledQuery.sql),
    }));
    const { command, count } = result;
    // As Kysely's own PostgreSQL connection answers them, so its driver can tell a COMMIT that rolled back.
    if (command === 'COMMIT' || command === 'ROLLBACK') return { rows: [{ command } as R] };
    return { numAffectedRows: COUNTED_COMMANDS.has(command) ? BigInt(count) : undefined, rows: [...result] as R[] };
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries is not supported on PostgreSQL here; page with limit and a cursor instead');
  }

  #lose(cause: unknown): void {
    if (this.#lost) return;
    this.#lost = { cause };
    // After the microtasks of postgres.js's own rejections, whose errors say more.
    queueMicrotask(() => {
      for (const reject of this.#waiting) reject(new SessionLostError(cause));
    });
  }

  /** The statement's outcome, or `SessionLostError` if the session is lost before it settles. */
  #settled<T>(statement: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.add(reject);
      statement
        .then(resolve, (error: unknown) => {
          reject(error);
          if (isSessionLost(error)) this.#lose(error);
        })
        .finally(() => this.#waiting.delete(reject));
    });
  }
}
