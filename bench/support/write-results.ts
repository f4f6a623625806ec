import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoPath } from './repo-path.js';

/** Writes the results to bench/results/<ISO date-time>.json and returns the path. */
export async function writeResults(date: Date, results: object): Promise<string> {
  const dir = repoPath('bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${date.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}
