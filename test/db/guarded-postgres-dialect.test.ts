import { AbortedTransactionError, CompiledQuery, sql, type Kysely } from 'kysely';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseSchema } from '../../src/db/database-schema.js';
import { GuardedPostgresDriver } from '../../src/db/guarded-postgres-driver.js';
import { isDatabaseUnavailable } from '../../src/db/is-database-unavailable.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { openDatabase, type DatabaseHandle, type DatabaseOptions } from '../../src/db/open-database.js';
import { PoolAcquireTimeoutError } from '../../src/db/pool-acquire-timeout-error.js';
import { SessionLostError } from '../../src/db/session-lost-error.js';
import { PooledSession } from '../../src/db/pooled-session.js';
import { SessionPool } from '../../src/db/session-pool.js';
import { postgresBinaries, startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwaway-postgres.js';
import { until } from '../support/until.js';

const binaries = postgresBinaries();
if ('missing' in binaries) console.warn(`guarded-postgres-dialect: skipped, ${binaries.missing}`);

/** The advisory lock Kysely's PostgreSQL adapter takes around a migration run. */
const KYSELY_MIGRATION_LOCK_ID = '3853314791062309107';

async function backendPid(db: Kysely<DatabaseSchema>): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
  return rows[0]!.pid;
}

describe.skipIf('missing' in binaries)('the guarded PostgreSQL dialect', () => {
  let cluster: ThrowawayPostgres;
  let admin: postgres.Sql;
  let databases = 0;
  const handles: DatabaseHandle[] = [];

  beforeAll(async () => {
    cluster = await startThrowawayPostgres();
    admin = postgres(cluster.url(), { max: 1, onnotice: () => {} });
  }, 120_000);
  afterEach(async () => {
    await Promise.all(handles.splice(0).map((handle) => handle.close()));
  });
  afterAll(async () => {
    await admin?.end();
    await cluster?.remove();
  });

  /** A handle on a new, empty database of the cluster. */
  async function open(options: Partial<DatabaseOptions> = {}): Promise<{ handle: DatabaseHandle; database: string }> {
    const database = `guarded_${++databases}`;
    await admin.unsafe(`create database ${database}`);
    const handle = await openDatabase({ databaseUrl: cluster.url(database), dataDir: '', poolSize: 1, ...options });
    handles.push(handle);
    return { handle, database };
  }

  async function isRunning(pid: number, query: string): Promise<boolean> {
    const rows = await admin`select 1 from pg_stat_activity where pid = ${pid} and state = 'active' and query = ${query}`;
    return rows.length === 1;
  }

  async function hasEnded(pid: number): Promise<boolean> {
    return (await admin`select 1 from pg_stat_activity where pid = ${pid}`).length === 0;
  }

  it('sends nothing more on a held session once it has ended, and serves the next query on a new session', async () => {
    const { handle } = await open();
    const { pid, refused } = await handle.db.connection().execute(async (connection) => {
      const pid = await backendPid(connection);
      await admin`select pg_terminate_backend(${pid})`;
      await until(() => hasEnded(pid));
      return { pid, refused: await backendPid(connection).then(() => 'ran', (error: unknown) => error) };
    });
    expect(isDatabaseUnavailable(refused)).toBe(true);
    expect(await backendPid(handle.db)).not.toBe(pid);
  });

  it('refuses at once, without sending it, a statement for a held session whose connection has closed', async () => {
    const { database } = await open();
    const driver = new GuardedPostgresDriver(new SessionPool(cluster.url(database), { size: 1, client: { onnotice: () => {} }, acquireTimeoutMs: 1_000 }));
    try {
      const held = await driver.acquireConnection();
      const { rows } = await held.executeQuery<{ pid: number }>(CompiledQuery.raw('select pg_backend_pid() as pid'));
      await admin`select pg_terminate_backend(${rows[0]!.pid})`;
      await until(() => held.isLost);
      await expect(held.executeQuery(CompiledQuery.raw('select 1'))).rejects.toBeInstanceOf(SessionLostError);
      await driver.releaseConnection(held);
      const next = await driver.acquireConnection();
      expect((await next.executeQuery<{ pid: number }>(CompiledQuery.raw('select pg_backend_pid() as pid'))).rows[0]!.pid).not.toBe(rows[0]!.pid);
      await driver.releaseConnection(next);
    } finally {
      await driver.destroy();
    }
  });

  it('never runs the rest of a transaction on a new session once its session has ended', async () => {
    const { handle } = await open();
    await sql`create table notes (body text)`.execute(handle.db);
    const failed = handle.db.transaction().execute(async (trx) => {
      await sql`insert into notes values ('first')`.execute(trx);
      const pid = await backendPid(trx);
      await admin`select pg_terminate_backend(${pid})`;
      await until(() => hasEnded(pid));
      await sql`insert into notes values ('second')`.execute(trx);
    });
    await expect(failed).rejects.toSatisfy(isDatabaseUnavailable);
    expect((await sql<{ body: string }>`select body from notes`.execute(handle.db)).rows).toEqual([]);
  });

  it('rolls back over a session ended mid-statement without hiding why the transaction failed', async () => {
    const { handle } = await open();
    const failed = handle.db.transaction().execute(async (trx) => {
      const pid = await backendPid(trx);
      const sleeping = sql`select pg_sleep(20)`.execute(trx);
      sleeping.catch(() => undefined);
      await until(() => isRunning(pid, 'select pg_sleep(20)'));
      await admin`select pg_terminate_backend(${pid})`;
      await sleeping;
    });
    // What postgres.js reports of a connection closed under a running statement, not a TypeError from the rollback.
    await expect(failed).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    expect(await backendPid(handle.db)).toEqual(expect.any(Number));
  });

  it('fails a query that waits for a connection longer than the acquire timeout as the database being unavailable', async () => {
    const { handle } = await open({ acquireTimeoutMs: 200 });
    const waited = await handle.db.connection().execute(() => backendPid(handle.db).then(() => 'ran', (error: unknown) => error));
    expect(waited).toBeInstanceOf(PoolAcquireTimeoutError);
    expect(isDatabaseUnavailable(waited)).toBe(true);
    expect(await backendPid(handle.db)).toEqual(expect.any(Number));
  });

  it('cancels a statement that runs past the statement timeout as the database being unavailable, and keeps its session', async () => {
    const { handle } = await open({ statementTimeoutMs: 100 });
    const pid = await backendPid(handle.db);
    const cancelled = await sql`select pg_sleep(5)`.execute(handle.db).then(() => 'finished', (error: unknown) => error);
    expect(cancelled).toMatchObject({ code: '57014' });
    expect(isDatabaseUnavailable(cancelled)).toBe(true);
    expect(await backendPid(handle.db)).toBe(pid);
  });

  it('lets migrations wait for the migration lock past the statement timeout, then gives the session its timeout back', async () => {
    const { handle, database } = await open({ statementTimeoutMs: 50 });
    const otherMigrator = postgres(cluster.url(database), { max: 1, onnotice: () => {} });
    try {
      await otherMigrator`select pg_advisory_lock(${KYSELY_MIGRATION_LOCK_ID}::bigint)`;
      const migrating = migrateToLatest(handle.db);
      migrating.catch(() => undefined);
      await until(async () => {
        const waiting = await admin`
          select 1 from pg_stat_activity
          where datname = ${database} and wait_event_type = 'Lock' and now() - query_start > interval '250 milliseconds'`;
        return waiting.length === 1;
      });
      await otherMigrator`select pg_advisory_unlock(${KYSELY_MIGRATION_LOCK_ID}::bigint)`;
      expect((await migrating).length).toBeGreaterThan(0);
    } finally {
      await otherMigrator.end();
    }
    const { rows } = await sql<{ statement_timeout: string }>`show statement_timeout`.execute(handle.db);
    expect(rows[0]!.statement_timeout).toBe('50ms');
  });

  it('reports a commit that PostgreSQL answered with a rollback', async () => {
    const { handle } = await open();
    const committing = handle.db.transaction().execute(async (trx) => {
      await sql`select 1 / 0`.execute(trx).catch(() => undefined);
    });
    await expect(committing).rejects.toBeInstanceOf(AbortedTransactionError);
  });

  describe('prepared statements', () => {
    /** The statements of ours prepared on the handle's connection (not postgres.js's own read of the array types). */
    async function prepared(db: Kysely<DatabaseSchema>): Promise<string[]> {
      const { rows } = await sql<{ statement: string }>`select statement from pg_prepared_statements where statement not like '%pg_catalog.pg_type%' order by prepare_time`.execute(db);
      return rows.map((row) => row.statement);
    }
    const numbered = (db: Kysely<DatabaseSchema>, n: number) => sql`select ${n}::int + ${n}::int as n`.execute(db);

    it('runs a statement prepared, so PostgreSQL parses and plans it once per connection', async () => {
      const { handle } = await open({ preparedStatements: 256 });
      await numbered(handle.db, 1);
      await numbered(handle.db, 2);
      expect(await prepared(handle.db)).toEqual(['select $1::int + $2::int as n']);
    });

    it('prepares no more distinct statements on a connection than its limit, and none with a limit of 0', async () => {
      const { handle } = await open({ preparedStatements: 1 });
      await numbered(handle.db, 1);
      await sql`select ${1}::int as one`.execute(handle.db);
      await sql`select ${1}::int as one`.execute(handle.db);
      expect(await prepared(handle.db)).toEqual(['select $1::int + $2::int as n']);

      const { handle: unprepared } = await open({ preparedStatements: 0 });
      await numbered(unprepared.db, 1);
      await numbered(unprepared.db, 2);
      expect(await prepared(unprepared.db)).toEqual([]);
    });

    it('prepares its statements again on the connection that follows one that closed', async () => {
      const { handle } = await open({ preparedStatements: 1 });
      await numbered(handle.db, 1);
      const pid = await backendPid(handle.db);
      await admin`select pg_terminate_backend(${pid})`;
      await until(() => hasEnded(pid));
      await until(() => sql`select ${1}::int as one`.execute(handle.db).then(() => true, () => false));
      expect(await prepared(handle.db)).toEqual(['select $1::int as one']);
    });

    it('counts none prepared on the connection a session opens by itself after its own closed', async () => {
      const { database } = await open();
      const session = new PooledSession(cluster.url(database), { onnotice: () => {} }, 1);
      try {
        await session.sql.unsafe('select $1::int as one', [1], { prepare: session.prepares('select $1::int as one') });
        const closed = new Promise<void>((resolve) => (session.onClose = () => resolve()));
        const [{ pid }] = (await session.sql`select pg_backend_pid() as pid`) as unknown as [{ pid: number }];
        await admin`select pg_terminate_backend(${pid})`;
        await closed;
        expect(session.prepares('select $1::int as two')).toBe(true);
      } finally {
        await session.end();
      }
    });
  });
});
