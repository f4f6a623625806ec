import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Which process owns an embedded data directory, decided through the file system alone so that it
 * works wherever Node does and needs no daemon.
 *
 * Owners succeed each other in numbered generations: `owners/<N>/owner.json` names the owner of
 * generation N. A process becomes owner N+1 by renaming a directory of its own, record already
 * inside, to `owners/<N+1>`. That rename succeeds for exactly one process, so two processes that
 * both find owner N dead cannot both succeed it, and no record is ever seen half-written. The
 * newest generation is never removed, so a process acting on an old view fails to claim a number
 * that was already taken, or finds a newer generation once it has claimed and backs off.
 *
 * An owner is gone when it released the directory (`released` beside its record) or its process
 * has ended. On Linux the process is also checked for having become a zombie or a new process
 * under a reused pid (its start time); elsewhere `kill(pid, 0)` is all there is.
 */

const OWNERS_DIR = 'owners';
const RECORD_FILE = 'owner.json';
const RELEASED_FILE = 'released';
const GENERATION_NAME = /^\d+$/;

export interface OwnerRecord {
  readonly pid: number;
  /** The process's start time as the kernel counts it (Linux), null where it cannot be read. */
  readonly startTime: string | null;
}

export type OwnerState =
  /** No live owner: the next claim is for `generation + 1` (0 when there never was one). */
  | { readonly alive: false; readonly generation: number }
  | { readonly alive: true; readonly generation: number; readonly record: OwnerRecord };

export interface Ownership {
  readonly generation: number;
  /** Marks the generation released; call only once the database is closed. */
  release(): Promise<void>;
}

/** Generations this process holds: its own pid in a record is alive only for these. */
const heldHere = new Set<string>();

export async function readOwner(dataDir: string): Promise<OwnerState> {
  const generation = await newestGeneration(dataDir);
  if (generation === 0) return { alive: false, generation };
  const directory = generationDir(dataDir, generation);
  const record = await readRecord(directory);
  if (!record || (await exists(join(directory, RELEASED_FILE))) || !(await isRunning(record, directory))) {
    return { alive: false, generation };
  }
  return { alive: true, generation, record };
}

/** Claims generation `generation`; undefined when another process claimed it (or a later one) first. */
export async function claimOwnership(dataDir: string, generation: number): Promise<Ownership | undefined> {
  const owners = join(dataDir, OWNERS_DIR);
  await mkdir(owners, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(owners, 'claim-'));
  const record: OwnerRecord = { pid: process.pid, startTime: await startTimeOf(process.pid) };
  await writeFile(join(staging, RECORD_FILE), JSON.stringify(record));
  const directory = generationDir(dataDir, generation);
  try {
    await rename(staging, directory);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (isTaken(error)) return undefined;
    throw error;
  }
  const ownership: Ownership = {
    generation,
    release: async () => {
      heldHere.delete(directory);
      await writeFile(join(directory, RELEASED_FILE), '');
    },
  };
  heldHere.add(directory);
  if ((await newestGeneration(dataDir)) !== generation) {
    await ownership.release();
    return undefined;
  }
  await removeGenerationsBefore(dataDir, generation);
  return ownership;
}

async function newestGeneration(dataDir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(join(dataDir, OWNERS_DIR));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  return names.filter((name) => GENERATION_NAME.test(name)).reduce((newest, name) => Math.max(newest, Number(name)), 0);
}

async function removeGenerationsBefore(dataDir: string, generation: number): Promise<void> {
  const owners = join(dataDir, OWNERS_DIR);
  for (const name of await readdir(owners)) {
    if (GENERATION_NAME.test(name) && Number(name) < generation) await rm(join(owners, name), { recursive: true, force: true });
  }
}

function generationDir(dataDir: string, generation: number): string {
  return join(dataDir, OWNERS_DIR, String(generation));
}

async function readRecord(directory: string): Promise<OwnerRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(directory, RECORD_FILE), 'utf8')) as Partial<OwnerRecord>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, startTime: parsed.startTime ?? null } : undefined;
  } catch {
    // A generation being removed as superseded: no owner there.
    return undefined;
  }
}

async function isRunning(record: OwnerRecord, directory: string): Promise<boolean> {
  if (record.pid === process.pid) return heldHere.has(directory);
  try {
    process.kill(record.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = await procStat(record.pid);
  if (stat === undefined) return true;
  return stat.state !== 'Z' && (record.startTime === null || stat.startTime === record.startTime);
}

async function startTimeOf(pid: number): Promise<string | null> {
  return (await procStat(pid))?.startTime ?? null;
}

/** The state and start time of a process from Linux's `/proc/<pid>/stat`; undefined elsewhere. */
async function procStat(pid: number): Promise<{ state: string; startTime: string } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const [state, startTime] = [fields[0], fields[19]];
  return state && startTime ? { state, startTime } : undefined;
}

function isTaken(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'EPERM' || code === 'EACCES';
}

async function exists(path: string): Promise<boolean> {
  try {
    await readFile(path);
    return true;
  } catch {
    return false;
  }
}
