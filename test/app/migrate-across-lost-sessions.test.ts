import { Kysely, PostgresDialect, type PostgresPool } from 'kysely';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { openApp } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { DatabaseSchema } from '../../src/db/database-schema.js';
import { createPglite } from '../../src/db/create-pglite.js';
import { pgliteHandle } from '../../src/db/open-database.js';
import { PglitePool } from '../../src/db/pglite-pool.js';
import { SessionLostError } from '../../src/db/session-lost-error.js';

describe('opening the app on a database whose session ends during the migrations', () => {
  it('runs them again, as when the owner of a shared embedded directory goes while this process starts', async () => {
    const pglite = await createPglite();
    const pool = new PglitePool(pglite);
    let cut = false;
    const cutOnce: PostgresPool = {
      connect: async () => {
        const client = await pool.connect();
        const query = client.query.bind(client);
        return Object.assign(client, {
          query: (async (sql: string, parameters: readonly unknown[]) => {
            if (!cut && /create table/i.test(sql)) {
              cut = true;
              throw new SessionLostError(new Error('the process that owns the embedded database ended'));
            }
            return query(sql, parameters);
          }) as typeof client.query,
        });
      },
      end: () => pool.end(),
    };
    const database = { ...pgliteHandle(pglite, 'memory://'), db: new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: cutOnce }) }) };
    const app = await openApp(loadConfig({}), pino({ level: 'silent' }), { database, holdUsers: false });
    try {
      expect(cut).toBe(true);
      expect(await app.repositories.users.getOrCreate('after-the-cut')).toMatchObject({ external_id: 'after-the-cut' });
    } finally {
      await app.close({ graceMs: 0 });
    }
  });
});
