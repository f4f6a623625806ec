import { sql, type Kysely } from 'kysely';

// A memory may expire (`expires_at`, null for one that never does): from that moment it behaves as
// deleted, filtered out by every read on the clock's time, and a sweep deletes the row for good
// after the configured retention. The partial index serves that sweep. A narrative records the
// earliest expiry among the memories it was built from (`source_expires_at`), so whether it still
// stands can be judged from its own row, with no query and no sweep having run.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table memories add column if not exists expires_at timestamptz`.execute(db);
  await sql`create index if not exists memories_expires_at_idx on memories (expires_at) where expires_at is not null`.execute(db);
  await sql`alter table user_narratives add column if not exists source_expires_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table user_narratives drop column source_expires_at`.execute(db);
  await sql`drop index memories_expires_at_idx`.execute(db);
  await sql`alter table memories drop column expires_at`.execute(db);
}
