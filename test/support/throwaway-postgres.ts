import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A PostgreSQL cluster of its own, in a temporary directory, that a test may stop and start at will. */
export interface ThrowawayPostgres {
  readonly port: number;
  /** `postgres://postgres@127.0.0.1:PORT/DATABASE` (trust authentication, loopback only). */
  url(database?: string): string;
  /** Stops the server: `fast` disconnects every session and shuts down cleanly, `immediate` is a crash. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  /** Stops it if it runs and deletes its directory. */
  remove(): Promise<void>;
}

/**
 * The directory of the newest installed PostgreSQL's programs (`PG_BIN` overrides), or why there
 * is none: tests that need a cluster they can stop skip with that message.
 */
export function postgresBinaries(): { dir: string } | { missing: string } {
  const candidates = process.env.PG_BIN
    ? [process.env.PG_BIN]
    : existsSync('/usr/lib/postgresql')
      ? readdirSync('/usr/lib/postgresql')
          .sort((a, b) => Number(b) - Number(a))
          .map((version) => join('/usr/lib/postgresql', version, 'bin'))
      : [];
  const dir = candidates.find((candidate) => existsSync(join(candidate, 'initdb')) && existsSync(join(candidate, 'pg_ctl')));
  return dir ? { dir } : { missing: 'no PostgreSQL server programs (initdb, pg_ctl) found under /usr/lib/postgresql; set PG_BIN' };
}

/**
 * Creates and starts a cluster in a temporary directory on a free loopback port. Never the shared
 * server: this one exists to be stopped. As root, the programs run as the `postgres` OS user,
 * since initdb refuses root.
 */
export async function startThrowawayPostgres(options: { settings?: Record<string, string | number> } = {}): Promise<ThrowawayPostgres> {
  const binaries = postgresBinaries();
  if ('missing' in binaries) throw new Error(binaries.missing);
  const root = await mkdtemp(join(tmpdir(), 'narrative-mcp-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const [uid, gid] = await Promise.all([idOf('-u'), idOf('-g')]);
    await chown(root, uid, gid);
  }
  const program = (name: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(binaries.dir, name), ...args]) : run(join(binaries.dir, name), args);
  const data = join(root, 'data');
  const port = await freePort();
  const settings = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: root,
    fsync: 'off',
    synchronous_commit: 'on',
    full_page_writes: 'off',
    shared_buffers: '16MB',
    max_connections: 40,
    ...options.settings,
  };
  const serverOptions = Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ');
  await program('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  let running = false;
  const cluster: ThrowawayPostgres = {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    async start() {
      await program('pg_ctl', ['-D', data, '-l', join(root, 'server.log'), '-w', '-t', '60', '-o', serverOptions, 'start']);
      running = true;
    },
    async stop(mode = 'fast') {
      await program('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      running = false;
    },
    async remove() {
      if (running) await cluster.stop('immediate').catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await cluster.start();
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return cluster;
}

async function idOf(flag: '-u' | '-g'): Promise<number> {
  return Number((await run('id', [flag, 'postgres'])).stdout.trim());
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
