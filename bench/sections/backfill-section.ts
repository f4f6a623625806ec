import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackfillBenchmarkResult } from '../backfill/backfill-benchmark.js';
import { atLeast } from '../support/at-least.js';
import { atMost } from '../support/at-most.js';
import type { BenchRun } from '../support/bench-run.js';
import { repoPath } from '../support/repo-path.js';
import { trackChild } from '../support/running-children.js';
import type { Section, SectionContext } from './section.js';

const CONCURRENCY = 8;
const BATCH_SIZE = 100;
/** In-memory and on-disk PGlite alike hold far more than the backfill in their WASM heap; past this it is hours and gigabytes. */
const PGLITE_MAX_USERS = 10_000;

/**
 * Section 6: bench/backfill.ts in a child process of its own (so its RSS is the backfill's alone,
 * with --expose-gc so the tenths show what is retained), once per user count.
 */
export const backfillSection: Section = {
  name: 'backfill',
  title: 'Backfill with a zero-latency provider',
  async run(context) {
    const counts = context.full ? [10_000, 100_000] : context.named ? [10_000] : [1_000];
    const runs: BenchRun[] = [];
    for (const users of counts) {
      if (context.kind === 'pglite' && users > PGLITE_MAX_USERS) {
        context.log(`${users.toLocaleString('en-US')} users: PostgreSQL only (PGlite's heap grows with the data it holds)`);
        continue;
      }
      context.log(`${users.toLocaleString('en-US')} users`);
      const result = await runInChild(context, users);
      runs.push(toRun(context, result));
    }
    return runs;
  },
};

async function runInChild(context: SectionContext, users: number): Promise<BackfillBenchmarkResult> {
  const dir = await mkdtemp(join(tmpdir(), 'narrative-mcp-bench-backfill-'));
  const out = join(dir, 'result.json');
  const args = [
    '--expose-gc',
    '--import',
    'tsx',
    repoPath('bench', 'backfill.ts'),
    ...['--users', String(users), '--concurrency', String(CONCURRENCY), '--batch-size', String(BATCH_SIZE)],
    ...['--database', context.kind, '--out', out],
    ...(context.kind === 'pglite' ? ['--pglite-data-dir', join(dir, 'data')] : []),
  ];
  try {
    const env = { ...process.env, ...(context.adminUrl ? { DATABASE_URL: context.adminUrl } : {}) };
    const child = trackChild(spawn(process.execPath, args, { cwd: repoPath(), env, stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4_000);
      for (const line of chunk.split('\n')) if (line.startsWith('backfilled') || line.includes('memories in')) context.log(line.trim());
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`bench: bench/backfill.ts exited with ${code}:\n${stderr.trim()}`);
    return JSON.parse(await readFile(out, 'utf8')) as BackfillBenchmarkResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function toRun(context: SectionContext, result: BackfillBenchmarkResult): BenchRun {
  const tenths = result.rssMb.atEachTenth;
  const growthMb = tenths.length > 1 ? tenths.at(-1)! - tenths[0]! : 0;
  const seconds = result.backfill.durationMs / 1000;
  return {
    section: 'backfill',
    what: 'backfill, zero-latency provider',
    database: context.kind,
    transport: null,
    params: {
      users: result.users,
      memories: result.memories,
      concurrency: result.concurrency,
      batchSize: result.batchSize,
      ...(context.kind === 'pglite' ? { pglite: 'data directory on disk' } : {}),
      process: 'child: node --expose-gc --import tsx bench/backfill.ts',
    },
    setting: `${result.users.toLocaleString('en-US')} users, ${result.memories.toLocaleString('en-US')} memories, concurrency ${result.concurrency}`,
    figures: {
      usersPerSecond: result.backfill.usersPerSecond,
      durationS: Number(seconds.toFixed(1)),
      generated: result.backfill.generated,
      failed: result.backfill.failed,
      cpuMsPerUserProcess: result.backfill.cpuMsPerUser.process,
      ...(result.backfill.cpuMsPerUser.postgres === null ? {} : { cpuMsPerUserPostgres: result.backfill.cpuMsPerUser.postgres }),
      rerunAllFreshS: Number((result.rerunAllFresh.durationMs / 1000).toFixed(1)),
      rssBeforeMb: result.rssMb.beforeBackfill,
      peakRssMb: result.rssMb.peakDuringBackfill,
      rssGrowthFirstToLastTenthMb: growthMb,
      rssAtEachTenthMb: tenths.join(' '),
      heapUsedAtEachTenthMb: result.heapUsedMb.atEachTenth.join(' '),
    },
    summary:
      `${result.backfill.usersPerSecond} users/s (${seconds.toFixed(1)} s); CPU per user ${result.backfill.cpuMsPerUser.process} ms in the backfill's process` +
      (result.backfill.cpuMsPerUser.postgres === null ? '' : `, ${result.backfill.cpuMsPerUser.postgres} ms in PostgreSQL`) +
      `; RSS ${result.rssMb.beforeBackfill} → peak ${result.rssMb.peakDuringBackfill} MB, ` +
      `${growthMb >= 0 ? '+' : ''}${growthMb} MB first to last tenth; heap by tenths ${result.heapUsedMb.atEachTenth.join(' ')} MB`,
    targets: [
      atLeast('users/s', result.backfill.usersPerSecond, context.kind === 'postgres' ? 250 : 200, ''),
      ...(result.users >= 100_000 ? [atMost('peak RSS', result.rssMb.peakDuringBackfill, 300, 'MB')] : []),
    ],
  };
}
