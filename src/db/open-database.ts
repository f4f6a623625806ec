import type { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect } from 'kysely';
import type { Logger } from 'pino';
import type { DatabaseSchema } from './database-schema.js';
import { createPglite } from './create-pglite.js';
import { SharedEmbeddedDatabase } from './local-sharing/shared-embedded-database.js';
import { GuardedPostgresDialect } from './guarded-postgres-dialect.js';
import type { SessionClientOptions } from './pooled-session.js';
import { PglitePool } from './pglite-pool.js';
import { SessionPool } from './session-pool.js';
import { advisoryLeaderLock, inProcessLeaderLock, type TryLeaderLock } from './leader-lock.js';
import { listenOnPostgres, USER_CHANGED_CHANNEL, type ListenForUserChanges } from './user-change-feed.js';

export type DatabaseKind = 'postgres' | 'pglite';

export interface DatabaseHandle {
  readonly db: Kysely<DatabaseSchema>;
  readonly kind: DatabaseKind;
  /** Where the data lives, safe to print: the data directory, or the URL without its password. */
  readonly location: string;
  /** Makes one process among those on the database the leader of a duty (the proactive refresh). */
  readonly tryLeaderLock: TryLeaderLock;
  /** Hears of every committed change to a user's memories or narrative, from any process. */
  readonly listenForUserChanges: ListenForUserChanges;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolSize: number;
  /**
   * PostgreSQL's `statement_timeout` for the pool's sessions (not the migrations); 0 leaves the
   * server's own. Default 30 s. On a shared embedded database, how long another process may hold
   * a session without a word before the owner takes it back.
   */
  statementTimeoutMs?: number;
  /** Longest wait for a free pooled connection before a query fails as the database being unavailable. Default 10 s. */
  acquireTimeoutMs?: number;
  /** On PostgreSQL, how many distinct statements each pooled connection keeps prepared; 0 prepares none. Default 256. */
  preparedStatements?: number;
  logger?: Logger;
}

/** Between reconnection attempts: from 50 ms, doubling, at most 1 s (postgres.js's own grows to 20 s). */
const reconnectBackoffSeconds = (attempt: number) => Math.min(0.05 * 2 ** attempt, 1);

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options);
}

function openPostgres(url: string, options: DatabaseOptions): DatabaseHandle {
  const clientOptions: SessionClientOptions = {
    // postgres.js prints notices to stdout by default, which would corrupt an MCP stdio stream.
    onnotice: (notice) => options.logger?.debug({ notice: notice.message }, 'postgres notice'),
    connection: {
      application_name: 'narrative-mcp',
      ...(options.statementTimeoutMs === 0 ? {} : { statement_timeout: options.statementTimeoutMs ?? 30_000 }),
    },
    backoff: reconnectBackoffSeconds,
    connect_timeout: 5,
  };
  const pool = new SessionPool(url, {
    size: options.poolSize,
    client: clientOptions,
    acquireTimeoutMs: options.acquireTimeoutMs ?? 10_000,
    preparedStatements: options.preparedStatements ?? 256,
  });
  const db = new Kysely<DatabaseSchema>({ dialect: new GuardedPostgresDialect(pool) });
  const tryLeaderLock = advisoryLeaderLock(url, (message) => options.logger?.debug({ notice: message }, 'postgres notice'));
  return {
    db,
    kind: 'postgres',
    location: redactPassword(url),
    tryLeaderLock,
    listenForUserChanges: listenOnPostgres(url, clientOptions),
    close: async () => {
      await db.destroy();
      // Kysely ends the pool only if it ever connected.
      await pool.end();
    },
  };
}

async function openPglite({ dataDir, logger, statementTimeoutMs }: DatabaseOptions): Promise<DatabaseHandle> {
  if (dataDir.startsWith('memory://')) {
    return pgliteHandle(await createPglite(), 'memory://');
  }
  const shared = await SharedEmbeddedDatabase.open({ dataDir, logger, ...(statementTimeoutMs === undefined ? {} : { idleSessionMs: statementTimeoutMs }) });
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: shared.pool }) });
  return {
    db,
    kind: 'pglite',
    location: dataDir,
    tryLeaderLock: (duty) => shared.tryLeaderLock(duty),
    listenForUserChanges: (listener) => shared.listenForUserChanges(listener),
    close: async () => {
      await db.destroy();
      await shared.close();
    },
  };
}

/** A handle over an open PGlite instance (created with `createPglite`). */
export function pgliteHandle(pglite: PGlite, location: string): DatabaseHandle {
  const db = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: new PglitePool(pglite) }) });
  const listenForUserChanges: ListenForUserChanges = async (listener) => {
    const unlisten = await pglite.listen(USER_CHANGED_CHANNEL, (userId) => listener.changed(userId));
    listener.listening();
    return unlisten;
  };
  return {
    db,
    kind: 'pglite',
    location,
    tryLeaderLock: inProcessLeaderLock,
    listenForUserChanges,
    close: () => db.destroy(),
  };
}

function redactPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}
