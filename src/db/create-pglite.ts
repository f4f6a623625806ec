import type { PGlite, PGliteOptions } from '@electric-sql/pglite';

/**
 * PostgreSQL's shared buffers in PGlite: its WebAssembly heap holds them resident from the start,
 * so PostgreSQL's 128 MB made PGlite alone idle at 315 MB on a small data directory, against 176 MB
 * with 16 MB. The data files stay in the system's file cache beyond them.
 */
const SHARED_BUFFERS = '16MB';

/**
 * A PGlite instance as every part of the project opens one, in memory or on `dataDir`: bigint (OID
 * 20) as a string, as postgres.js returns it, and the shared buffers above. PGlite is loaded at the
 * first call, so a process on PostgreSQL never loads it.
 */
export async function createPglite(dataDir?: string, options: PGliteOptions = {}): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  const all: PGliteOptions = {
    parsers: { 20: (value: string) => value },
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${SHARED_BUFFERS}`],
    ...options,
  };
  return dataDir === undefined ? PGlite.create(all) : PGlite.create(dataDir, all);
}
