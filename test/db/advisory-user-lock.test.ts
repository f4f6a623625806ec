import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/open-database.js';
import { capturedLogger } from '../support/captured-logger.js';
import { createPostgresTestDatabase } from '../support/postgres-test-databases.js';
import { until } from '../support/until.js';

describe.skipIf(!process.env.DATABASE_URL)('the advisory user lock on PostgreSQL', () => {
  let database: { url: string; drop: () => Promise<void> };
  /** A connection of the test's own to the same database, outside the handle's pool. */
  let admin: postgres.Sql;
  let handle: DatabaseHandle | undefined;
  let log: ReturnType<typeof capturedLogger>;

  beforeEach(async () => {
    database = await createPostgresTestDatabase({ empty: true });
    admin = postgres(database.url, { max: 1, onnotice: () => {} });
    log = capturedLogger('warn');
  });
  afterEach(async () => {
    await handle?.close();
    handle = undefined;
    await admin.end();
    await database.drop();
  });

  /** The backends of this database holding an advisory lock. */
  async function lockHolders(): Promise<number[]> {
    const rows = await admin<{ pid: number }[]>`
      select pid from pg_locks
      where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`;
    return rows.map((row) => row.pid);
  }

  async function hasEnded(pid: number): Promise<boolean> {
    return (await admin`select 1 from pg_stat_activity where pid = ${pid}`).length === 0;
  }

  it("keeps work's result when the lock's connection is terminated during it, and the lock is free again", async () => {
    handle = await openDatabase({ databaseUrl: database.url, dataDir: '', poolSize: 2, logger: log.logger });
    const outcome = await handle.withUserLock('user-1', async () => {
      const [holder] = await lockHolders();
      await admin`select pg_terminate_backend(${holder!})`;
      await until(() => hasEnded(holder!));
      return 'narrative written';
    });

    expect(outcome).toEqual({ acquired: true, value: 'narrative written' });
    expect(log.lines).toContainEqual(expect.objectContaining({ level: 40, userId: 'user-1', msg: expect.stringContaining('lock') }));
    expect(await handle.withUserLock('user-1', async () => 'again')).toEqual({ acquired: true, value: 'again' });
    expect(await lockHolders()).toEqual([]);
  });

  it('closes, rather than lends again, a connection whose unlock failed while its session lives, which frees the lock', async () => {
    // A role that may take advisory locks but not release them, so the unlock fails on a session that stays up.
    const role = `lock_test_${randomBytes(4).toString('hex')}`;
    await admin.unsafe(`create role ${role} login`);
    await admin.unsafe('revoke execute on function pg_advisory_unlock(bigint) from public');
    try {
      const url = new URL(database.url);
      url.username = role;
      handle = await openDatabase({ databaseUrl: url.toString(), dataDir: '', poolSize: 1, logger: log.logger });

      expect(await handle.withUserLock('user-1', async () => 'narrative written')).toEqual({ acquired: true, value: 'narrative written' });
      expect(log.lines).toContainEqual(expect.objectContaining({ level: 40, userId: 'user-1', err: expect.objectContaining({ code: '42501' }) }));
      await until(async () => (await lockHolders()).length === 0);
      expect(await handle.withUserLock('user-2', async () => 'next')).toEqual({ acquired: true, value: 'next' });
    } finally {
      await handle?.close();
      handle = undefined;
      await admin.unsafe(`drop owned by ${role}`);
      await admin.unsafe(`drop role ${role}`);
    }
  });
});
