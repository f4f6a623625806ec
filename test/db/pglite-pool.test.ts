import { AbortedTransactionError } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/open-database.js';
import { openTestDatabase } from '../support/test-databases.js';

describe('the PGlite pool', () => {
  let handle: DatabaseHandle;

  beforeAll(async () => {
    handle = await openTestDatabase('pglite');
  });
  afterAll(() => handle.close());

  async function externalIdsLike(pattern: string): Promise<string[]> {
    const rows = await handle.db
      .selectFrom('users')
      .select('external_id')
      .where('external_id', 'like', pattern)
      .orderBy('external_id')
      .execute();
    return rows.map((row) => row.external_id);
  }

  it('runs two concurrent transactions one after the other, each seeing only its own writes', async () => {
    const insertAndReadBack = (prefix: string) =>
      handle.db.transaction().execute(async (trx) => {
        for (const n of [1, 2, 3]) await trx.insertInto('users').values({ external_id: `${prefix}-${n}` }).execute();
        const rows = await trx
          .selectFrom('users')
          .select('external_id')
          .where('external_id', 'like', 'isolated-%')
          .orderBy('external_id')
          .execute();
        return rows.map((row) => row.external_id);
      });
    const [first, second] = await Promise.all([insertAndReadBack('isolated-a'), insertAndReadBack('isolated-b')]);
    expect(first).toEqual(['isolated-a-1', 'isolated-a-2', 'isolated-a-3']);
    expect(second).toEqual(['isolated-a-1', 'isolated-a-2', 'isolated-a-3', 'isolated-b-1', 'isolated-b-2', 'isolated-b-3']);
  });

  it("does not take a concurrent transaction's writes with it when it rolls back", async () => {
    const committed = handle.db.transaction().execute(async (trx) => {
      for (const n of [1, 2, 3]) await trx.insertInto('users').values({ external_id: `survivor-${n}` }).execute();
    });
    const rolledBack = handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values({ external_id: 'doomed-1' }).execute();
      throw new Error('changed my mind');
    });
    const [committedResult, rolledBackResult] = await Promise.allSettled([committed, rolledBack]);
    expect(committedResult.status).toBe('fulfilled');
    expect(rolledBackResult.status).toBe('rejected');
    expect(await externalIdsLike('survivor-%')).toEqual(['survivor-1', 'survivor-2', 'survivor-3']);
    expect(await externalIdsLike('doomed-%')).toEqual([]);
  });

  it('rolls the whole transaction back when one of its statements fails', async () => {
    await handle.db.insertInto('users').values({ external_id: 'taken' }).execute();
    const attempt = handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values({ external_id: 'written-before-failure' }).execute();
      await trx.insertInto('users').values({ external_id: 'taken' }).execute();
    });
    await expect(attempt).rejects.toThrow(/duplicate key/);
    expect(await externalIdsLike('written-before-failure')).toEqual([]);
  });

  it('refuses to commit a transaction whose failed statement was caught and ignored', async () => {
    await handle.db.insertInto('users').values({ external_id: 'already-there' }).execute();
    const attempt = handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values({ external_id: 'written-before-swallowed-failure' }).execute();
      try {
        await trx.insertInto('users').values({ external_id: 'already-there' }).execute();
      } catch {
        // Swallowed on purpose: the transaction is aborted all the same.
      }
    });
    await expect(attempt).rejects.toBeInstanceOf(AbortedTransactionError);
    expect(await externalIdsLike('written-before-swallowed-failure')).toEqual([]);
  });

  it('keeps working normally after an aborted transaction', async () => {
    await handle.db.insertInto('users').values({ external_id: 'after-abort-existing' }).execute();
    await handle.db
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto('users')
          .values({ external_id: 'after-abort-existing' })
          .execute()
          .catch(() => undefined);
      })
      .catch(() => undefined);
    await handle.db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values({ external_id: 'after-abort-new' }).execute();
    });
    expect(await externalIdsLike('after-abort-%')).toEqual(['after-abort-existing', 'after-abort-new']);
  });

  it('reports how many rows a write changed, also when the write starts with a with clause', async () => {
    await handle.db
      .insertInto('users')
      .values([{ external_id: 'counted-1' }, { external_id: 'counted-2' }])
      .execute();
    const plain = await handle.db
      .updateTable('users')
      .set({ display_name: 'plain' })
      .where('external_id', 'like', 'counted-%')
      .executeTakeFirst();
    const withClause = await handle.db
      .with('targets', (db) => db.selectFrom('users').select('id').where('external_id', 'like', 'counted-%'))
      .updateTable('users')
      .set({ display_name: 'with clause' })
      .where('id', 'in', (eb) => eb.selectFrom('targets').select('id'))
      .executeTakeFirst();
    expect(plain.numUpdatedRows).toBe(2n);
    expect(withClause.numUpdatedRows).toBe(2n);
  });
});
