import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserFacingError } from '../errors/user-facing-error.js';

const LOCK_FILE = 'narrative-mcp.lock';

/**
 * Claims a PGlite data directory for this process. PGlite is a single-process database: a second
 * process opening the same directory would work on its own copy and lose writes, so it is
 * refused with a message saying what to do. A lock left by a dead process is taken over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, String(process.pid), { flag: 'wx' });
      return () => rm(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
        throw new UserFacingError(
          `the embedded database in ${dataDir} is in use by process ${holder} (a running narrative-mcp); ` +
            'stop it first, or use PostgreSQL (DATABASE_URL) to share one database between processes',
        );
      }
      await rm(path, { force: true });
    }
  }
  throw new UserFacingError(`could not lock the embedded database in ${dataDir}; remove ${path} if no narrative-mcp is running`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
