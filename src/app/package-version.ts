import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function findVersion(): string {
  // Two levels up from src/app in a checkout, three from dist/src/app once built.
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = require(candidate) as { name?: string; version?: string };
      if (manifest.name === 'narrative-mcp' && manifest.version) return manifest.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}

export const PACKAGE_VERSION = findVersion();
