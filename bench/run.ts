/**
 * `npm run bench`: the latency, throughput, cost and backfill figures of the issue, on PGlite and
 * on PostgreSQL, printed as a table and written to bench/results/<date>.json. Quick by default;
 * `--full` for the long runs. See BENCH_USAGE (or `npm run bench -- --help`).
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { DatabaseKind } from '../src/db/open-database.js';
import { ALL_SECTIONS } from './sections/all-sections.js';
import type { SectionContext } from './sections/section.js';
import { createBenchDatabase, type BenchDatabase } from './support/bench-database.js';
import { BENCH_USAGE, parseBenchOptions } from './support/bench-options.js';
import { SECTION_NAMES, type BenchRun } from './support/bench-run.js';
import { ensureBuilt } from './support/ensure-built.js';
import { formatRuns } from './support/format-runs.js';
import { prepareLocomoFixture, type LocomoFixture } from './support/locomo-fixture.js';
import { machineInfo } from './support/machine-info.js';
import { postgresReachable } from './support/postgres-reachable.js';
import { repoPath } from './support/repo-path.js';
import { runningChildren } from './support/running-children.js';
import { withTimeout } from './support/with-timeout.js';
import { writeResults } from './support/write-results.js';

const DEFAULT_POSTGRES = 'postgres://postgres@127.0.0.1:5432/test';
/** A hung section fails after this and the run goes on (full runs include a 100,000-user backfill). */
const QUICK_SECTION_TIMEOUT_MS = 15 * 60_000;
const FULL_SECTION_TIMEOUT_MS = 3 * 60 * 60_000;
const startedAt = performance.now();
const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - startedAt) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);

const options = (() => {
  try {
    return parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n\n${BENCH_USAGE}`);
    process.exit(2);
  }
})();
if (options.help) {
  console.log(BENCH_USAGE);
  process.exit(0);
}
if (options.from !== null) {
  const earlier = JSON.parse(await readFile(options.from, 'utf8')) as { command: string; runs: BenchRun[] };
  console.log(formatRuns(earlier.runs, options.markdown ? 'markdown' : 'text'));
  process.exit(0);
}

const adminUrl = process.env.DATABASE_URL ?? DEFAULT_POSTGRES;
const reachable = options.database === 'pglite' ? false : await postgresReachable(adminUrl);
if (!reachable && (options.database === 'postgres' || options.database === 'both')) {
  console.error(`bench: no PostgreSQL server answers at ${redact(adminUrl)}; set DATABASE_URL or use --database pglite`);
  process.exit(2);
}
const kinds: DatabaseKind[] =
  options.database === 'pglite' ? ['pglite'] : options.database === 'postgres' ? ['postgres'] : reachable ? ['pglite', 'postgres'] : ['pglite'];
const sections = ALL_SECTIONS.filter((section) => options.only === null || options.only.includes(section.name));

const started = new Date();
const sectionTimeoutMs = options.full ? FULL_SECTION_TIMEOUT_MS : QUICK_SECTION_TIMEOUT_MS;
if (!options.skipBuild) ensureBuilt(log);
const machine = await machineInfo(kinds.includes('postgres') ? adminUrl : null);
log(`${options.full ? 'full' : 'quick'} run of ${sections.map((section) => section.name).join(', ')} on ${kinds.join(' and ')}; ${machine.cpu}, ${machine.cores} cores, load ${machine.loadAverage.join(' ')}`);

/** Each run with the database pass it came from (the reference server's rows belong to the pass they were paired in). */
const runs: (BenchRun & { kind: DatabaseKind })[] = [];
const errors: { section: string; database: DatabaseKind; message: string }[] = [];
const problems: { database: DatabaseKind; message: string }[] = [];
const openDatabases = new Set<BenchDatabase>();
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping the servers, dropping the bench databases, writing what was measured`);
    for (const child of runningChildren) child.kill('SIGTERM');
    void Promise.allSettled([...openDatabases].map((database) => database.drop()))
      .then(() => report(signal))
      .finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}
for (const kind of kinds) {
  let database: Promise<BenchDatabase> | undefined;
  let fixture: Promise<LocomoFixture> | undefined;
  const context: SectionContext = {
    full: options.full,
    named: options.only !== null,
    kind,
    adminUrl: kinds.includes('postgres') ? adminUrl : null,
    database: () =>
      (database ??= createBenchDatabase(kind, adminUrl).then((created) => {
        openDatabases.add(created);
        return created;
      })),
    fixture: () =>
      (fixture ??= (async () => {
        const created = await context.database();
        context.log('importing the LoCoMo memories and backfilling their narratives');
        return prepareLocomoFixture(created, context.log);
      })()),
    log: (line) => log(`${kind}: ${line}`),
    problem: (message) => {
      problems.push({ database: kind, message });
      log(`${kind}: PROBLEM: ${message}`);
    },
  };
  try {
    for (const section of sections) {
      log(`${kind}: ${section.title}`);
      const sectionStarted = performance.now();
      try {
        const sectionRuns = await withTimeout(section.run(context), sectionTimeoutMs, `section ${section.name} on ${kind}`);
        for (const run of sectionRuns) runs.push({ ...run, kind });
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        errors.push({ section: section.name, database: kind, message });
        log(`${kind}: ${section.name} FAILED: ${message}`);
      }
      log(`${kind}: ${section.name} took ${((performance.now() - sectionStarted) / 1000).toFixed(1)} s`);
    }
  } finally {
    if (database) {
      const created = await database;
      await created.drop();
      openDatabases.delete(created);
    }
  }
}

await report(null);
// A section that failed may have left a server or an app behind; nothing of theirs is needed any more.
for (const child of runningChildren) child.kill('SIGTERM');
process.exit(errors.length + problems.length > 0 ? 1 : 0);

/** Writes the results file and prints the table (an interrupted run writes what it has). */
async function report(interruptedBy: string | null): Promise<void> {
  const ordered: BenchRun[] = [...runs]
    .sort((a, b) => SECTION_NAMES.indexOf(a.section) - SECTION_NAMES.indexOf(b.section) || kinds.indexOf(a.kind) - kinds.indexOf(b.kind))
    .map(({ kind: _kind, ...run }) => run);
  const durationS = Number(((Date.now() - started.getTime()) / 1000).toFixed(1));
  const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const file = await writeResults(started, {
    date: started.toISOString(),
    command,
    mode: options.full ? 'full' : 'quick',
    durationS,
    interruptedBy,
    machine,
    databases: kinds,
    runs: ordered,
    errors,
    problems,
  });
  console.log(formatRuns(ordered, options.markdown ? 'markdown' : 'text'));
  const missed = ordered.flatMap((run) => run.targets.filter((check) => !check.met)).length;
  log(`${ordered.length} figures in ${durationS} s (${missed} targets missed); written to ${relative(repoPath(), file)}`);
  if (errors.length > 0) log(`${errors.length} section run(s) failed: ${errors.map((error) => `${error.section} on ${error.database}`).join(', ')}`);
  for (const problem of problems) log(`problem on ${problem.database}: ${problem.message}`);
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
