import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPglite } from '../../src/db/create-pglite.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open-database.js';
import { migratedPgliteSnapshot } from '../support/test-databases.js';

/** PGlite as the server opens it: the settings hold on a data directory and in memory alike. */
describe.each(['on a data directory', 'in memory'])('PGlite %s', (where) => {
  let dataDir: string;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'narrative-mcp-create-pglite-'));
    // From the run's migrated snapshot: a new directory's initdb is the slow part.
    if (where !== 'in memory') await (await createPglite(dataDir, { loadDataDir: await migratedPgliteSnapshot() })).close();
    handle = await openDatabase({ dataDir: where === 'in memory' ? 'memory://' : dataDir, poolSize: 1 });
  });
  afterAll(async () => {
    await handle?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('holds 16 MB of shared buffers, not the 128 MB its WebAssembly heap would keep resident', async () => {
    const { rows } = await sql<{ shared_buffers: string }>`show shared_buffers`.execute(handle.db);
    expect(rows[0]?.shared_buffers).toBe('16MB');
  });

  it('reads a bigint as a string, as postgres.js does, so no digit is lost', async () => {
    const { rows } = await sql<{ n: unknown }>`select 9007199254740993::bigint as n`.execute(handle.db);
    expect(rows[0]?.n).toBe('9007199254740993');
  });
});
