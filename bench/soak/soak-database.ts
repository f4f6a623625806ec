import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import postgres from 'postgres';
import { openApp, type App } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { DatabaseKind } from '../../src/db/open-database.js';
import type { MemoryInput } from '../../src/memories/memory-input.js';
import { loadLocomo } from '../support/locomo-data.js';

export interface SoakUser {
  externalId: string;
  key: string;
}

export interface SoakDatabase {
  kind: DatabaseKind;
  /** The variables that point the server (and the checks afterwards) at it. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A throw-away database: a PGlite data directory in a temp folder, or a new database on the DATABASE_URL server. */
export async function createSoakDatabase(kind: DatabaseKind, adminUrl: string | undefined): Promise<SoakDatabase> {
  if (kind === 'pglite') {
    const dir = await mkdtemp(join(tmpdir(), 'narrative-mcp-soak-'));
    return { kind, env: { NARRATIVE_DATA_DIR: join(dir, 'data') }, drop: () => rm(dir, { recursive: true, force: true }) };
  }
  if (!adminUrl) throw new Error('soak: --database postgres needs DATABASE_URL (the server the throw-away database is created on)');
  const name = `narrative_mcp_soak_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    env: { DATABASE_URL: url.toString() },
    drop: async () => {
      const cleanup = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await cleanup.unsafe(`drop database if exists ${name} with (force)`);
      await cleanup.end();
    },
  };
}

const FACTS = ['plays the cello', 'grows tomatoes', 'lives near the harbour', 'is training for a half marathon', 'has a sister in Toronto', 'reads science fiction', 'works as a structural engineer', 'keeps bees'];

/**
 * What the regular users start with: `locomo`, the facts and the memories of one LoCoMo speaker
 * each (82–172, as a user some months in has), so that the run measures a steady state; `facts`,
 * the 8 facts alone (the soaks before 2 December 2026), which the run's adds then grow about tenfold.
 */
export type SoakSeed = 'locomo' | 'facts';

export interface SoakUsers {
  regulars: SoakUser[];
  newcomers: SoakUser[];
  /** The memories each regular user started with, on average. */
  seededPerRegular: number;
}

/**
 * Creates the users the soak's clients act as, each with memories and a key: `clients` regular
 * users with a narrative written (their conversation starts are cache hits), and `newcomers` with
 * the 8 facts but no narrative yet (their first conversation start is a miss).
 */
export async function prepareSoakUsers(app: App, clients: number, newcomers: number, seed: SoakSeed = 'locomo'): Promise<SoakUsers> {
  const locomo = seed === 'locomo' ? await loadLocomo() : undefined;
  let seeded = 0;
  const create = async (prefix: string, count: number, memoriesOf: (index: number, externalId: string) => MemoryInput[]) => {
    const users: SoakUser[] = [];
    const ids: string[] = [];
    for (let start = 0; start < count; start += 200) {
      await app.repositories.transaction(async (trx) => {
        for (let index = start; index < Math.min(count, start + 200); index++) {
          const externalId = `${prefix}-${index}`;
          const user = await trx.users.getOrCreate(externalId);
          seeded += (await trx.memories.addMany(user.id, memoriesOf(index, externalId), 'soak')).added.length;
          users.push({ externalId, key: (await trx.apiKeys.create(user.id, 'soak')).key });
          ids.push(user.id);
        }
      });
    }
    return { users, ids };
  };
  const facts = (externalId: string): MemoryInput[] => FACTS.map((fact) => ({ content: `${externalId} ${fact}.` }));
  const regulars = await create('soak-regular', clients, (index, externalId) => [
    ...(locomo ? locomo.memoriesOf(locomo.users[index % locomo.users.length]!) : []),
    ...facts(externalId),
  ]);
  const seededPerRegular = Math.round(seeded / Math.max(1, clients));
  await Promise.all(regulars.ids.map((id) => app.engine.runner.request(id, 'backfill').done));
  return { regulars: regulars.users, newcomers: (await create('soak-newcomer', newcomers, (_, externalId) => facts(externalId))).users, seededPerRegular };
}

/** How many of the acknowledged memories the database does not hold. */
export async function missingMemories(app: App, acknowledged: ReadonlyMap<string, readonly string[]>): Promise<number> {
  let missing = 0;
  for (const [externalId, contents] of acknowledged) {
    const user = await app.repositories.users.findByExternalId(externalId);
    const stored = new Set(user ? (await app.repositories.memories.recent(user.id, { limit: 100_000 })).map((memory) => memory.content) : []);
    missing += contents.filter((content) => !stored.has(content)).length;
  }
  return missing;
}

/** Runs `work` with the app opened on the soak's database, and closes it. */
export async function withSoakApp<T>(env: Record<string, string>, work: (app: App) => Promise<T>): Promise<T> {
  const app = await openApp(loadConfig(env), pino({ level: 'silent' }));
  try {
    return await work(app);
  } finally {
    await app.close();
  }
}
