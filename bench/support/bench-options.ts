import { parseArgs } from 'node:util';
import { SECTION_NAMES, type SectionName } from './bench-run.js';

export interface BenchOptions {
  full: boolean;
  /** The sections named with --only, in run order; null for all of them. */
  only: SectionName[] | null;
  /** null: both when a PostgreSQL server answers, else PGlite alone. */
  database: 'pglite' | 'postgres' | 'both' | null;
  markdown: boolean;
  skipBuild: boolean;
  /** Print the table of this earlier results file instead of running anything. */
  from: string | null;
  help: boolean;
}

export const BENCH_USAGE = `npm run bench -- [--full] [--only ${SECTION_NAMES.join(',')}] [--database pglite|postgres|both] [--markdown] [--skip-build]
       npm run bench -- --from bench/results/<date>.json [--markdown]

  --full        the long runs (10x the calls, 30 s throughput levels, backfill of 10,000 and 100,000 users)
  --only        run these sections alone (backfill then defaults to 10,000 users)
  --database    where to measure (default: both when DATABASE_URL, or PostgreSQL on 127.0.0.1:5432, answers)
  --markdown    print the table as Markdown (for the README)
  --skip-build  do not rebuild dist/ even if the sources are newer
  --from        print the table of an earlier run's results file and stop`;

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      full: { type: 'boolean', default: false },
      only: { type: 'string' },
      database: { type: 'string' },
      markdown: { type: 'boolean', default: false },
      'skip-build': { type: 'boolean', default: false },
      from: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const only = values.only === undefined ? null : values.only.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = only?.filter((name) => !(SECTION_NAMES as readonly string[]).includes(name)) ?? [];
  if (unknown.length > 0) throw new Error(`--only: unknown section ${unknown.join(', ')}; the sections are ${SECTION_NAMES.join(', ')}`);
  const database = values.database ?? null;
  if (database !== null && database !== 'pglite' && database !== 'postgres' && database !== 'both') {
    throw new Error(`--database must be pglite, postgres or both; got ${JSON.stringify(database)}`);
  }
  return {
    full: values.full,
    only: only === null ? null : SECTION_NAMES.filter((name) => only.includes(name)),
    database,
    markdown: values.markdown,
    skipBuild: values['skip-build'],
    from: values.from ?? null,
    help: values.help,
  };
}
