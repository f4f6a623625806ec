import { sql, type Kysely } from 'kysely';

// What changed in the last regeneration: each write keeps the version it replaces — its text, its
// number, when it was written, the memories it was built from, the last memory number it saw and
// the earliest expiry among its memories — and nothing older. The kept text is dropped (set to null) as soon as one of the memories it was
// built from is deleted, corrected or expires, so a forgotten fact never survives in a history.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table user_narratives
      add column if not exists previous_content text,
      add column if not exists previous_version integer,
      add column if not exists previous_generated_at timestamptz,
      add column if not exists previous_source_memory_ids uuid[] not null default '{}',
      add column if not exists previous_source_max_seq bigint,
      add column if not exists previous_source_expires_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table user_narratives
      drop column previous_source_expires_at,
      drop column previous_source_max_seq,
      drop column previous_source_memory_ids,
      drop column previous_generated_at,
      drop column previous_version,
      drop column previous_content`.execute(db);
}
