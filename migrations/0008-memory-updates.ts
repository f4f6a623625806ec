import { sql, type Kysely } from 'kysely';

// A memory can be corrected: it keeps its id, number and creation date, its text or metadata is
// replaced, and `updated_at` says when (null for a memory never updated). The update writes the new
// text's content hash, so the live-text uniqueness index judges the new text, and the generated
// search vector follows the new text by itself.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table memories add column if not exists updated_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table memories drop column updated_at`.execute(db);
}
