import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export interface PostgresBenchDatabase {
  url: string;
  name: string;
  /** Drops the database, disconnecting whoever is still on it. */
  drop: () => Promise<void>;
}

/** A new, empty database on the server `adminUrl` names; the bench drops it when done. */
export async function createPostgresBenchDatabase(adminUrl: string): Promise<PostgresBenchDatabase> {
  const name = `narrative_mcp_bench_${randomBytes(4).toString('hex')}`;
  const admin = () => postgres(adminUrl, { max: 1, onnotice: () => {} });
  const creating = admin();
  try {
    await creating.unsafe(`create database ${name}`);
  } finally {
    await creating.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const dropping = admin();
      try {
        await dropping.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await dropping.end();
      }
    },
  };
}
