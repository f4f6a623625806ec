import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { openDatabase } from '../../src/db/open-database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { TestProject } from 'vitest/node';
import { withDatabase } from './with-database.js';

/**
 * Gives the run a directory for the migrated PGlite snapshot, which the first test file to need it
 * writes (`test-databases`), and on PostgreSQL migrates one template database; each test file then
 * gets fresh copies of them in milliseconds.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runDirectory = await mkdtemp(join(tmpdir(), 'narrative-mcp-test-run-'));
  project.provide('runDirectory', runDirectory);
  const dropTemplate = await migratePostgresTemplate(project);
  return async () => {
    await dropTemplate?.();
    await rm(runDirectory, { recursive: true, force: true });
  };
}

async function migratePostgresTemplate(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const url = process.env.DATABASE_URL;
  if (!url) return undefined;
  const TEMPLATE_DATABASE = `narrative_mcp_template_${process.pid}`;
  project.provide('postgresTemplateDatabase', TEMPLATE_DATABASE);
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    await admin.unsafe(`create database ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  const template = await openDatabase({ databaseUrl: withDatabase(url, TEMPLATE_DATABASE), dataDir: '', poolSize: 1 });
  try {
    await migrateToLatest(template.db);
  } finally {
    await template.close();
  }
  return async () => {
    const cleanup = postgres(url, { max: 1, onnotice: () => {} });
    await cleanup.unsafe(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    await cleanup.end();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresTemplateDatabase: string;
    /** A directory of this run's own, removed when it ends. */
    runDirectory: string;
  }
}
