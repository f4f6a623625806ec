import { join } from 'node:path';

/** A path inside the repository, from bench/support. */
export function repoPath(...parts: string[]): string {
  return join(import.meta.dirname, '..', '..', ...parts);
}
