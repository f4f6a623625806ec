import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPglite } from '../../src/db/create-pglite.js';
import type { DatabaseKind } from '../../src/db/open-database.js';
import { createPostgresTestDatabase } from './postgres-test-databases.js';
import { migratedPgliteSnapshot } from './test-databases.js';

export const CLI_PATH = fileURLToPath(new URL('../../bin/narrative-mcp.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a CLI run against a database of its own, empty (the first command migrates
 * it) or, with `migrated`, a copy of the migrated template; and how to remove it.
 */
export async function cliEnvironment(
  kind: DatabaseKind,
  { migrated = false }: { migrated?: boolean } = {},
): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  const base = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn' };
  if (kind === 'postgres') {
    const { url, drop } = await createPostgresTestDatabase({ empty: !migrated });
    return { env: { ...base, DATABASE_URL: url }, cleanup: drop };
  }
  const dir = await mkdtemp(join(tmpdir(), 'narrative-mcp-cli-'));
  const dataDir = join(dir, 'data');
  if (migrated) await (await createPglite(dataDir, { loadDataDir: await migratedPgliteSnapshot() })).close();
  return { env: { ...base, NARRATIVE_DATA_DIR: dataDir }, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Runs the built `narrative-mcp` command as a user would, with `stdin` as its standard input. */
export function runCli(args: readonly string[], env: Record<string, string>, stdin = ''): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI_PATH, ...args], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(stdin);
  });
}
