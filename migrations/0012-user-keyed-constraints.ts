import { sql, type Kysely } from 'kysely';

// Ready to distribute by user (Citus): a distributed table's primary and unique keys must include
// its distribution column. Memories are keyed by (user_id, id) — every statement that finds a
// memory by id names its user too, so the new key serves them as the old one did — and a user's
// narrative by user_id alone, which was already unique. What cannot be made ready this cheaply
// (external ids unique across users, the keys found by hash) is written down in docs/scaling.md.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table memories drop constraint memories_pkey, add constraint memories_pkey primary key (user_id, id)`.execute(db);
  await sql`
    alter table user_narratives
      drop constraint user_narratives_pkey,
      drop constraint user_narratives_user_id_key,
      add constraint user_narratives_pkey primary key (user_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table user_narratives
      drop constraint user_narratives_pkey,
      add constraint user_narratives_user_id_key unique (user_id),
      add constraint user_narratives_pkey primary key (id)`.execute(db);
  await sql`alter table memories drop constraint memories_pkey, add constraint memories_pkey primary key (id)`.execute(db);
}
