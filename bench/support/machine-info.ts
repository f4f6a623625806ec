import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import postgres from 'postgres';
import { repoPath } from './repo-path.js';

/** What the figures were measured on. */
export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  /** `server_version` of the PostgreSQL server the bench databases were created on, when one was used. */
  postgres: string | null;
  pglite: string;
  /** 1, 5 and 15 minute load averages when the run started: other work on the machine makes figures noisy. */
  loadAverage: number[];
  commit: string | null;
  /** Whether the working tree had changes not yet committed. */
  uncommittedChanges: boolean | null;
}

export async function machineInfo(postgresUrl: string | null): Promise<MachineInfo> {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGb: Number((totalmem() / 1024 ** 3).toFixed(1)),
    os: `${type()} ${release()}`,
    node: process.version,
    postgres: postgresUrl ? await postgresVersion(postgresUrl) : null,
    pglite: (JSON.parse(readFileSync(repoPath('node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')) as { version: string }).version,
    loadAverage: loadavg().map((load) => Number(load.toFixed(2))),
    commit: git(['rev-parse', 'HEAD']),
    uncommittedChanges: ((status) => (status === null ? null : status !== ''))(git(['status', '--porcelain'])),
  };
}

async function postgresVersion(url: string): Promise<string> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ server_version: string }[]>`show server_version`;
    return row!.server_version;
  } finally {
    await sql.end();
  }
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: repoPath(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}
