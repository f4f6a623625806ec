import { sql, type Kysely } from 'kysely';

// A narrative is either built in full from the user's memories or revised from the previous one
// with the memories added since (incremental). Each version records which it was, when the last
// full build happened (so drift from revisions is bounded by NARRATIVE_FULL_REBUILD_DAYS), and the
// tokens its generation cost when the provider reported them. Every narrative written before this
// migration was a full build, at its generation time.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table user_narratives
      add column if not exists build_kind text not null default 'full' check (build_kind in ('full', 'incremental')),
      add column if not exists last_full_build_at timestamptz,
      add column if not exists input_tokens integer,
      add column if not exists output_tokens integer`.execute(db);
  await sql`update user_narratives set last_full_build_at = generated_at where last_full_build_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table user_narratives
      drop column output_tokens,
      drop column input_tokens,
      drop column last_full_build_at,
      drop column build_kind`.execute(db);
}
