#!/usr/bin/env node
import { existsSync } from 'node:fs';

const entry = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('narrative-mcp: not built yet; run `npm install` (or `npm run build`) in the project first.');
  process.exit(1);
}
const { main } = await import(entry.href);
await main(process.argv);
