import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimOwnership, readOwner } from '../../src/db/local-sharing/owner-election.js';
import { until } from '../support/until.js';

const ON_LINUX = existsSync('/proc/self/stat');

describe('the election of the process that owns an embedded data directory', () => {
  let dataDir: string;
  const children: ChildProcess[] = [];

  /** Writes generation `generation` as owned by `pid`, as that process would have. */
  async function ownedBy(generation: number, pid: number, startTime: string | null): Promise<void> {
    await mkdir(join(dataDir, 'owners', String(generation)), { recursive: true });
    await writeFile(join(dataDir, 'owners', String(generation), 'owner.json'), JSON.stringify({ pid, startTime }));
  }

  async function startTimeOf(pid: number): Promise<string> {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
  }

  function sleeper(): ChildProcess {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(child);
    return child;
  }

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'narrative-mcp-election-'));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('has no owner on a new directory, and the first claim owns generation 1', async () => {
    expect(await readOwner(dataDir)).toEqual({ alive: false, generation: 0 });
    const ownership = await claimOwnership(dataDir, 1);
    expect(ownership?.generation).toBe(1);
    expect(await readOwner(dataDir)).toMatchObject({ alive: true, generation: 1, record: { pid: process.pid } });
  });

  it('lets exactly one of many simultaneous claims of a generation win', async () => {
    const claims = await Promise.all(Array.from({ length: 12 }, () => claimOwnership(dataDir, 1)));
    expect(claims.filter((claim) => claim !== undefined)).toHaveLength(1);
  });

  it('refuses a claim made on an old view, once a newer generation exists', async () => {
    const first = await claimOwnership(dataDir, 1);
    await first!.release();
    expect(await claimOwnership(dataDir, 2)).toBeDefined();
    expect(await claimOwnership(dataDir, 1)).toBeUndefined();
    expect(await readOwner(dataDir)).toMatchObject({ alive: true, generation: 2 });
  });

  it('counts a released generation as ownerless, and the next claim takes the following one', async () => {
    const first = await claimOwnership(dataDir, 1);
    await first!.release();
    expect(await readOwner(dataDir)).toEqual({ alive: false, generation: 1 });
    expect((await claimOwnership(dataDir, 2))?.generation).toBe(2);
    expect(existsSync(join(dataDir, 'owners', '1'))).toBe(false);
  });

  it('sees an owner whose process is running as alive, and one whose process ended as gone', async () => {
    const child = sleeper();
    await ownedBy(1, child.pid!, ON_LINUX ? await startTimeOf(child.pid!) : null);
    expect(await readOwner(dataDir)).toMatchObject({ alive: true, generation: 1 });
    child.kill('SIGKILL');
    await until(async () => !(await readOwner(dataDir)).alive);
    expect(await claimOwnership(dataDir, 2)).toBeDefined();
  });

  it.runIf(ON_LINUX)('sees a killed owner that its parent never reaped (a zombie) as gone', async () => {
    // The inner sleep's parent becomes a process that never waits for it.
    const shell = spawn('sh', ['-c', 'sleep 60 & echo $!; exec sleep 61'], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(shell);
    const [line] = (await new Promise<Buffer>((resolve) => shell.stdout.once('data', resolve))).toString().split('\n');
    const pid = Number(line);
    await ownedBy(1, pid, await startTimeOf(pid));
    expect((await readOwner(dataDir)).alive).toBe(true);
    process.kill(pid, 'SIGKILL');
    await until(async () => (await readFile(`/proc/${pid}/stat`, 'utf8')).includes(') Z '));
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect((await readOwner(dataDir)).alive).toBe(false);
  });

  it.runIf(ON_LINUX)('sees a record whose pid now belongs to another process (a reused pid) as gone', async () => {
    const child = sleeper();
    await ownedBy(1, child.pid!, '1');
    expect((await readOwner(dataDir)).alive).toBe(false);
  });

  it('does not count a generation this process gave up as its own', async () => {
    await ownedBy(1, process.pid, null);
    expect((await readOwner(dataDir)).alive).toBe(false);
  });
});
