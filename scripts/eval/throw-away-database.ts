import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { openDatabase, type DatabaseHandle, type DatabaseKind } from '../../src/db/open-database.js';

const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * An empty database that is gone afterwards: an in-memory PGlite, or a new database on the
 * PostgreSQL server of `serverUrl` (DATABASE_URL's server by default), dropped by `drop`.
 */
export async function openThrowAwayDatabase(
  kind: DatabaseKind,
  options: { serverUrl?: string; poolSize: number },
): Promise<{ handle: DatabaseHandle; drop: () => Promise<void> }> {
  if (kind === 'pglite') return { handle: await openDatabase({ dataDir: 'memory://', poolSize: 1 }), drop: async () => {} };
  const serverUrl = options.serverUrl ?? DEFAULT_SERVER;
  const name = `narrative_mcp_eval_${randomBytes(4).toString('hex')}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } catch (error) {
    await admin.end();
    throw new Error(`Cannot create a database on ${new URL(serverUrl).host}: ${(error as Error).message}`, { cause: error });
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), dataDir: '', poolSize: options.poolSize });
  return {
    handle,
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
