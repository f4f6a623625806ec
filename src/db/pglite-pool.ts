import type { PGlite } from '@electric-sql/pglite';
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

// The statement's verb: the first word, or for `with …` the data-modifying statement it leads to.
const WRITE_COMMAND = /^\s*(insert|update|delete|merge)\b/i;
const WRITE_AFTER_WITH = /^\s*with\b[\s\S]*?\b(insert\s+into|update\s+"|delete\s+from|merge\s+into)/i;

function commandOf(sql: string): PostgresQueryResult<unknown>['command'] {
  const verb = (WRITE_COMMAND.exec(sql)?.[1] ?? WRITE_AFTER_WITH.exec(sql)?.[1])?.split(/\s/)[0]?.toUpperCase();
  return (verb ?? 'SELECT') as PostgresQueryResult<unknown>['command'];
}

/**
 * Presents one embedded PGlite instance as the `pg`-style pool that Kysely's own Postgres
 * dialect expects, so both databases share one adapter, query compiler and migrator.
 *
 * PGlite is a single session: a client is handed out to one caller at a time, otherwise
 * statements of two interleaved transactions would run inside each other.
 */
export class PglitePool implements PostgresPool {
  #tail: Promise<void> = Promise.resolve();

  constructor(private readonly pglite: PGlite) {}

  async connect(): Promise<PostgresPoolClient> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#tail;
    this.#tail = previous.then(() => released);
    await previous;
    return this.#client(release);
  }

  async end(): Promise<void> {
    await this.#tail;
    await this.pglite.close();
  }

  #client(release: () => void): PostgresPoolClient {
    const pglite = this.pglite;
    return {
      async query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> {
        // PostgreSQL answers COMMIT of an aborted transaction with a ROLLBACK tag, which PGlite
        // does not expose. Probe first so Kysely can raise its AbortedTransactionError.
        if (/^\s*commit\s*$/i.test(sql) && (await isAborted(pglite))) {
          await pglite.query('rollback');
          return { command: 'ROLLBACK', rowCount: 0, rows: [] };
        }
        const result = await pglite.query<R>(sql, [...parameters]);
        return { command: commandOf(sql), rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
      },
      release,
    } as PostgresPoolClient;
  }
}

async function isAborted(pglite: PGlite): Promise<boolean> {
  try {
    await pglite.query('select 1');
    return false;
  } catch {
    return true;
  }
}
