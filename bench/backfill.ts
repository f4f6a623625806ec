/**
 * Backfill benchmark: N users with 20–200 memories each in a throw-away database, backfilled with a
 * zero-latency provider. Prints users per second and peak RSS (sampled every 20 ms), and writes the
 * measurements as JSON under bench/results/.
 *
 *   npx tsx bench/backfill.ts [--users 10000] [--concurrency 8] [--batch-size 100]
 *
 * Without DATABASE_URL the database is an in-memory PGlite; with it, a new database on that server,
 * dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pino from 'pino';
import postgres from 'postgres';
import { openApp } from '../src/app/app.js';
import { loadConfig } from '../src/config/config.js';
import { openDatabase, type DatabaseHandle } from '../src/db/open-database.js';
import { backfill } from '../src/operations/backfill.js';
import { InstantProvider } from './instant-provider.js';

const MB = 1024 * 1024;
const USERS_PER_INSERT = 500;
const TOPICS = [
  'works as a nurse on the night shift',
  'is training for a half marathon',
  'adopted a rescue dog called Pepper',
  'is learning Portuguese before a trip to Lisbon',
  'plays bass in a weekend jazz band',
  'is renovating an old farmhouse',
  'has two daughters who love chess',
  'volunteers at the food bank on Saturdays',
];

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '8' },
    'batch-size': { type: 'string', default: '100' },
  },
});
const users = wholeNumber('--users', values.users);
const concurrency = wholeNumber('--concurrency', values.concurrency);
const batchSize = wholeNumber('--batch-size', values['batch-size']);

function wholeNumber(name: string, value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) {
    console.error(`bench/backfill: ${name} must be a whole number of at least 1; got ${JSON.stringify(value)}`);
    process.exit(2);
  }
  return number;
}

/** A throw-away database: in-memory PGlite, or a new database on the DATABASE_URL server. */
async function throwAwayDatabase(): Promise<{ handle: DatabaseHandle; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) return { handle: await openDatabase({ dataDir: 'memory://', poolSize: 1 }), drop: async () => {} };
  const name = `narrative_mcp_bench_${randomBytes(4).toString('hex')}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const benchUrl = new URL(url);
  benchUrl.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: benchUrl.toString(), dataDir: '', poolSize: concurrency + 4 });
  return {
    handle,
    drop: async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** Users `bench-000001`… with 20–200 memories each (fixed per user), generated inside the database. */
async function generate(handle: DatabaseHandle): Promise<number> {
  const topics = sql.raw(`array[${TOPICS.map((topic) => `'${topic}'`).join(', ')}]`);
  for (let first = 1; first <= users; first += USERS_PER_INSERT) {
    const last = Math.min(users, first + USERS_PER_INSERT - 1);
    await sql`insert into users (external_id)
      select 'bench-' || lpad(n::text, 6, '0') from generate_series(${first}::int, ${last}::int) as n`.execute(handle.db);
    await sql`
      insert into memories (user_id, content, content_hash, source, created_at)
      select u.id, m.content, md5(m.content), 'bench', now() - make_interval(hours => m.k)
      from users u
      cross join lateral (
        select k, u.external_id || ' ' || (${topics})[1 + k % 8] || ' (note ' || k || ').' as content
        from generate_series(1, 20 + (hashtext(u.external_id) & 2147483647) % 181) as k
      ) m
      where u.external_id between ${`bench-${String(first).padStart(6, '0')}`} and ${`bench-${String(last).padStart(6, '0')}`}`.execute(handle.db);
    process.stderr.write(`\rgenerated ${last} of ${users} users`);
  }
  process.stderr.write('\n');
  const { rows } = await sql<{ count: number }>`select count(*)::int as count from memories`.execute(handle.db);
  return rows[0]!.count;
}

const { handle, drop } = await throwAwayDatabase();
let peakRss = process.memoryUsage.rss();
let peakHeap = process.memoryUsage().heapUsed;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
};
// Sampled on a timer and at every finished user (PGlite's synchronous work can starve the timer).
const sampler = setInterval(sample, 20);
try {
  const config = loadConfig({
    LLM_CONCURRENCY: String(Math.min(concurrency, 64)),
    LLM_CALLS_PER_MINUTE: '100000',
    DATABASE_POOL_SIZE: String(concurrency + 4),
  });
  const app = await openApp(config, pino({ level: 'silent' }), { database: handle, provider: new InstantProvider() });
  const generateStarted = performance.now();
  const memories = await generate(handle);
  const generateSeconds = (performance.now() - generateStarted) / 1000;
  console.error(`${users} users and ${memories} memories in ${generateSeconds.toFixed(1)} s (${handle.kind})`);

  const rssBefore = process.memoryUsage.rss();
  const heapBefore = process.memoryUsage().heapUsed;
  peakRss = rssBefore;
  peakHeap = heapBefore;
  const rssByTenth: number[] = [];
  const heapByTenth: number[] = [];
  const first = await backfill(app, {
    concurrency,
    batchSize,
    onEvent: (event) => {
      if (event.type !== 'user') return;
      sample();
      if (event.done % Math.max(1, Math.floor(event.total / 10)) === 0) {
        // With node --expose-gc, the tenths show what is retained rather than garbage not yet collected.
        (globalThis as { gc?: () => void }).gc?.();
        rssByTenth.push(Math.round(process.memoryUsage.rss() / MB));
        heapByTenth.push(Math.round(process.memoryUsage().heapUsed / MB));
        process.stderr.write(`backfilled ${event.done} of ${event.total}\n`);
      }
    },
  });
  const peakDuringBackfill = { rss: peakRss, heap: peakHeap };
  const second = await backfill(app, { concurrency, batchSize });
  await app.close({ graceMs: 0 });

  const result = {
    date: new Date().toISOString(),
    database: handle.kind,
    node: process.version,
    cpus: cpus().length,
    users,
    memories,
    concurrency,
    batchSize,
    generateSeconds: Number(generateSeconds.toFixed(1)),
    backfill: {
      ...first,
      failures: first.failures.length,
      usersPerSecond: Number((first.generated / (first.durationMs / 1000)).toFixed(1)),
    },
    rerunAllFresh: {
      skipped: second.skipped,
      durationMs: second.durationMs,
      usersPerSecond: Number((second.skipped / (second.durationMs / 1000)).toFixed(1)),
    },
    rssMb: {
      beforeBackfill: Math.round(rssBefore / MB),
      peakDuringBackfill: Math.round(peakDuringBackfill.rss / MB),
      atEachTenth: rssByTenth,
    },
    /** The JavaScript heap alone: what the backfill itself holds (in-memory PGlite's data lives in RSS, outside it). */
    heapUsedMb: {
      beforeBackfill: Math.round(heapBefore / MB),
      peakDuringBackfill: Math.round(peakDuringBackfill.heap / MB),
      atEachTenth: heapByTenth,
    },
  };
  const dir = join(import.meta.dirname, 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `backfill-${handle.kind}-${users}-${result.date.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `backfill of ${users} users (${memories} memories, ${handle.kind}, concurrency ${concurrency}): ` +
      `${result.backfill.generated} generated in ${(first.durationMs / 1000).toFixed(1)} s = ${result.backfill.usersPerSecond} users/s; ` +
      `re-run skipped ${second.skipped} in ${(second.durationMs / 1000).toFixed(1)} s; ` +
      `RSS ${result.rssMb.beforeBackfill} MB before, peak ${result.rssMb.peakDuringBackfill} MB (by tenths: ${rssByTenth.join(', ')}); ` +
      `JS heap ${result.heapUsedMb.beforeBackfill} MB before, peak ${result.heapUsedMb.peakDuringBackfill} MB (by tenths: ${heapByTenth.join(', ')})`,
  );
  console.log(`written to ${file}`);
} finally {
  clearInterval(sampler);
  await drop();
}
