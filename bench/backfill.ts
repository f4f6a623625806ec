/**
 * Backfill benchmark: N users with 20–200 memories each in a throw-away database, backfilled with a
 * zero-latency provider. Prints users per second and peak RSS (sampled every 20 ms), and writes the
 * measurements as JSON under bench/results/ (or to --out).
 *
 *   npx tsx bench/backfill.ts [--users 10000] [--concurrency 8] [--batch-size 100]
 *                             [--database pglite|postgres] [--pglite-data-dir DIR] [--out FILE]
 *
 * The database is PostgreSQL when DATABASE_URL is set (a new database on that server, dropped at the
 * end), else an in-memory PGlite; --database chooses, and --pglite-data-dir puts PGlite on disk.
 * `npm run bench` runs this in a child process for its backfill section.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBackfillBenchmark } from './backfill/backfill-benchmark.js';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '8' },
    'batch-size': { type: 'string', default: '100' },
    database: { type: 'string' },
    'pglite-data-dir': { type: 'string', default: 'memory://' },
    out: { type: 'string' },
  },
});
const users = wholeNumber('--users', values.users);
const concurrency = wholeNumber('--concurrency', values.concurrency);
const batchSize = wholeNumber('--batch-size', values['batch-size']);
const kind = values.database ?? (process.env.DATABASE_URL ? 'postgres' : 'pglite');
if (kind !== 'pglite' && kind !== 'postgres') fail(`--database must be pglite or postgres; got ${JSON.stringify(kind)}`);
const adminUrl = process.env.DATABASE_URL;
if (kind === 'postgres' && !adminUrl) fail('--database postgres needs DATABASE_URL (the server the throw-away database is created on)');

function wholeNumber(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) fail(`${name} must be a whole number of at least 1; got ${JSON.stringify(value)}`);
  return number;
}

function fail(message: string): never {
  console.error(`bench/backfill: ${message}`);
  process.exit(2);
}

// A stopped run still drops its database (100,000 users are several gigabytes on the server).
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`bench/backfill: ${signal}; stopping and dropping the throw-away database`);
    process.exitCode = signal === 'SIGINT' ? 130 : 143;
    stop.abort(new Error(signal));
  });
}

const result = await runBackfillBenchmark({
  users,
  concurrency,
  batchSize,
  database: kind === 'postgres' ? { kind, adminUrl: adminUrl! } : { kind: 'pglite', dataDir: values['pglite-data-dir'] },
  log: (line) => process.stderr.write(`${line}\n`),
  signal: stop.signal,
}).catch((error: unknown) => {
  if (!stop.signal.aborted) throw error;
  process.exit();
});
const file =
  values.out ?? join(import.meta.dirname, 'results', `backfill-${result.database}-${users}-${result.date.replace(/[:.]/g, '-')}.json`);
await mkdir(dirname(file), { recursive: true });
await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `backfill of ${users} users (${result.memories} memories, ${result.database}, concurrency ${concurrency}): ` +
    `${result.backfill.generated} generated in ${(result.backfill.durationMs / 1000).toFixed(1)} s = ${result.backfill.usersPerSecond} users/s; ` +
    `CPU per user ${result.backfill.cpuMsPerUser.process} ms here` +
    (result.backfill.cpuMsPerUser.postgres === null ? '; ' : `, ${result.backfill.cpuMsPerUser.postgres} ms in PostgreSQL; `) +
    `re-run skipped ${result.rerunAllFresh.skipped} in ${(result.rerunAllFresh.durationMs / 1000).toFixed(1)} s; ` +
    `RSS ${result.rssMb.beforeBackfill} MB before, peak ${result.rssMb.peakDuringBackfill} MB (by tenths: ${result.rssMb.atEachTenth.join(', ')}); ` +
    `JS heap ${result.heapUsedMb.beforeBackfill} MB before, peak ${result.heapUsedMb.peakDuringBackfill} MB (by tenths: ${result.heapUsedMb.atEachTenth.join(', ')})`,
);
console.log(`written to ${file}`);
