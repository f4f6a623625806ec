// @ts-check
/**
 * `node bench/sharing/bare-pglite.js <data dir>` (once built): PGlite alone on an embedded data
 * directory, opened as narrative-mcp's owner opens it, then idle; the floor the `sharing` bench
 * section holds the owner's resident memory against. Prints "ready" once a query has run; closes the database when
 * its standard input ends or on SIGTERM. Plain JavaScript so that plain node runs it: tsx's loader
 * alone would add about 40 MB.
 */
import { createPglite } from '../../dist/src/db/create-pglite.js';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/sharing/bare-pglite.js <data dir>');
  process.exit(2);
}
// Opened by the server's own code (src/db/create-pglite.ts, built), with its settings.
const db = await createPglite(dir);
await db.query('select 1');
process.stdout.write('ready\n');

let closing = false;
const close = () => {
  if (closing) return;
  closing = true;
  void db.close().then(() => process.exit(0));
};
process.stdin.once('end', close);
process.stdin.resume();
process.once('SIGTERM', close);
