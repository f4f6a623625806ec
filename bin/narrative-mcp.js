#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

// V8 lets old space grow to about four times what survived its last full collection before the
// next one; a server whose live heap is ~90 MB then holds ~380 MB. At 1.5 times it holds near its
// live size, for no more time spent collecting. A flag given to node itself wins.
if (!process.execArgv.some((flag) => /^--heap[-_]growing[-_]percent/.test(flag))) setFlagsFromString('--heap-growing-percent=50');

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('narrative-mcp: not built yet; run `npm install` (or `npm run build`) in the project first.');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
