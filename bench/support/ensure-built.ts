import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoPath } from './repo-path.js';

/** The server processes run the built code: build dist/ when a source or migration is newer than it (or it is missing). */
export function ensureBuilt(log: (line: string) => void): void {
  const built = repoPath('dist', 'src', 'cli', 'main.js');
  const builtAt = existsSync(built) ? statSync(built).mtimeMs : 0;
  const newer = [repoPath('src'), repoPath('migrations')].some((dir) => newestMtime(dir) > builtAt);
  if (!newer) return;
  log('building dist/ (the sources changed since the last build)');
  try {
    execFileSync(process.execPath, [repoPath('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], {
      cwd: repoPath(),
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? String(error);
    throw new Error(`bench: npm run build failed; the servers would run stale code:\n${output.trim()}`, { cause: error });
  }
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}
