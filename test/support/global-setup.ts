import postgres from 'postgres';
import { openDatabase } from '../../src/db/open-database.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { TestProject } from 'vitest/node';
import { withDatabase } from './with-database.js';

/** Migrates one template database; each test file then gets a fresh copy of it in milliseconds. */
export async function setup(project: TestProject): Promise<void | (() => Promise<void>)> {
  const url = process.env.DATABASE_URL;
  if (!url) return;
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
  }
}
