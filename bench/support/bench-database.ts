import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseKind } from '../../src/db/open-database.js';
import { createPostgresBenchDatabase } from './postgres-bench-database.js';

/** A throw-away database for one bench run: a PGlite data directory in a temp folder, or a new PostgreSQL database. */
export interface BenchDatabase {
  readonly kind: DatabaseKind;
  /** The variables that point a server process or an in-process app at it. */
  readonly env: Readonly<Record<string, string>>;
  drop(): Promise<void>;
}

export async function createBenchDatabase(kind: DatabaseKind, adminUrl: string | null): Promise<BenchDatabase> {
  if (kind === 'postgres') {
    if (!adminUrl) throw new Error('bench: PostgreSQL was asked for but no server is known (set DATABASE_URL)');
    const database = await createPostgresBenchDatabase(adminUrl);
    return { kind, env: { DATABASE_URL: database.url }, drop: database.drop };
  }
  const dir = await mkdtemp(join(tmpdir(), 'narrative-mcp-bench-'));
  return { kind, env: { NARRATIVE_DATA_DIR: join(dir, 'data') }, drop: () => rm(dir, { recursive: true, force: true }) };
}
