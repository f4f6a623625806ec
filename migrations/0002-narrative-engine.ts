import { sql, type Kysely } from 'kysely';

// What the cache policy and the background generator need beyond the initial schema.
export async function up(db: Kysely<unknown>): Promise<void> {
  // Insertion order of memories, independent of their (possibly back-dated) created_at, so a
  // narrative can tell which memories arrived after the ones it was built from.
  await sql`alter table memories add column seq bigint generated always as identity`.execute(db);
  await sql`create index memories_user_seq_idx on memories (user_id, seq)`.execute(db);

  await sql`alter table user_narratives add column source_max_seq bigint not null default 0`.execute(db);
  // Kept current by every memory insert, so the read path needs only this row to judge freshness.
  await sql`alter table user_narratives add column memories_added_since integer not null default 0`.execute(db);

  await sql`
    create table narrative_generation_state (
      user_id uuid primary key references users (id) on delete cascade,
      last_attempt_at timestamptz,
      last_success_at timestamptz,
      last_failure_at timestamptz,
      last_failure_kind text,
      last_failure_message text,
      consecutive_failures integer not null default 0,
      manual_requests timestamptz[] not null default '{}'
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table narrative_generation_state`.execute(db);
  await sql`alter table user_narratives drop column memories_added_since`.execute(db);
  await sql`alter table user_narratives drop column source_max_seq`.execute(db);
  await sql`alter table memories drop column seq`.execute(db);
}
