/**
 * Assembles src/search/dot-products.wat into src/search/dot-products-wasm.ts, the module's bytes the
 * search loads (wabt, the WebAssembly Binary Toolkit, is a development dependency only):
 *
 *   npx tsx scripts/assemble-dot-products.ts
 *
 * Same source, same bytes; test/search/dot-products.test.ts fails when the two disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assembleWat } from './assemble-wat.js';

const dir = join(import.meta.dirname, '..', 'src', 'search');
const bytes = await assembleWat(readFileSync(join(dir, 'dot-products.wat'), 'utf8'));
writeFileSync(
  join(dir, 'dot-products-wasm.ts'),
  `// Assembled from dot-products.wat by scripts/assemble-dot-products.ts: edit the source and run it again.\n` +
    `export const DOT_PRODUCTS_WASM = '${Buffer.from(bytes).toString('base64')}';\n`,
);
console.log(`src/search/dot-products-wasm.ts: ${bytes.length} bytes of WebAssembly`);
