import postgres from 'postgres';

/** postgres.js options a pooled session's client takes; the pool sets the rest. */
export type SessionClientOptions = Omit<postgres.Options<Record<string, never>>, 'max' | 'onclose' | 'idle_timeout' | 'max_lifetime'>;

/**
 * One session of `SessionPool`: a postgres.js client of a single connection, so the statements sent
 * through it share that connection's session. The client reconnects by itself when next used after
 * its connection closed, and reports each close to `onClose`: the end of whatever session its
 * holder had. (Not a postgres.js `reserve()`d connection: postgres.js 3.4.9 returns those to its
 * pool after their session died, porsager/postgres#1199, and drops a `reserve()` that was waiting
 * when a reserved connection closed.)
 */
export class PooledSession {
  readonly #url: string;
  readonly #options: SessionClientOptions;
  readonly #preparedLimit: number;
  /** The statements prepared on the current connection (postgres.js prepares each on its first run). */
  readonly #prepared = new Set<string>();
  #sql: postgres.Sql;
  /** Set by the session's current holder. */
  onClose: ((cause: Error) => void) | undefined;

  /** `preparedStatements`: how many distinct statements a connection keeps prepared; 0 prepares none. */
  constructor(url: string, options: SessionClientOptions, preparedStatements = 0) {
    this.#url = url;
    this.#options = options;
    this.#preparedLimit = preparedStatements;
    this.#sql = this.#client();
  }

  /**
   * Whether to run `statement` as a prepared statement: PostgreSQL then parses and plans it once per
   * connection instead of at every run (the generation's lease, with its subqueries, most of all).
   * The first `preparedStatements` distinct statements are; a statement whose text varies (a list of
   * ids of any length) cannot fill a connection's memory with plans, since the rest run unprepared.
   */
  prepares(statement: string): boolean {
    if (this.#prepared.has(statement)) return true;
    if (this.#prepared.size >= this.#preparedLimit) return false;
    this.#prepared.add(statement);
    return true;
  }

  get sql(): postgres.Sql {
    return this.#sql;
  }

  /** Drops the connection, in whatever state it is, for a new client that connects when next used. */
  renew(): void {
    this.#sql.end({ timeout: 0 }).catch(() => undefined);
    this.#prepared.clear();
    this.#sql = this.#client();
  }

  end(): Promise<void> {
    return this.#sql.end();
  }

  #client(): postgres.Sql {
    const sql = postgres(this.#url, {
      ...this.#options,
      max: 1,
      // Either would end the session between two statements of its holder, a transaction's included.
      idle_timeout: 0,
      max_lifetime: null,
      onclose: (connectionId) => {
        if (sql !== this.#sql) return;
        // The next connection starts with no statement prepared.
        this.#prepared.clear();
        this.onClose?.(new Error(`connection ${connectionId} closed`));
      },
    });
    return sql;
  }
}
