import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A path in the project's top folder, from source (src/config) or from the build (dist/src/config):
 * the first candidate that exists.
 */
export function projectPath(relative: string): string {
  for (const up of ['../../', '../../../']) {
    const candidate = fileURLToPath(new URL(up + relative, import.meta.url));
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`cannot find ${relative} in the project folder`);
}
