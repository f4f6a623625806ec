import { sql, type Kysely } from 'kysely';

// Every table is keyed or filtered by user_id: no hot-path query crosses users, so the
// schema can be sharded by user later without rewriting queries.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table users (
      id uuid primary key default gen_random_uuid(),
      external_id text not null unique,
      display_name text,
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table memories (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      content text not null,
      content_hash text not null,
      metadata jsonb not null default '{}'::jsonb,
      source text not null,
      created_at timestamptz not null default now(),
      deleted_at timestamptz,
      search_vector tsvector generated always as (to_tsvector('english'::regconfig, content)) stored
    )`.execute(db);
  await sql`create index memories_user_created_idx on memories (user_id, created_at desc)`.execute(db);
  await sql`create index memories_search_idx on memories using gin (search_vector)`.execute(db);
  // The same text is stored once per user while it is live; a forgotten memory may be added again.
  await sql`
    create unique index memories_user_content_live_idx
      on memories (user_id, content_hash) where deleted_at is null`.execute(db);

  await sql`
    create table user_narratives (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null unique references users (id) on delete cascade,
      narrative_content text not null,
      version integer not null default 1,
      generated_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      provider text not null,
      model text not null,
      memory_count integer not null,
      newest_memory_at timestamptz,
      source_memory_ids uuid[] not null default '{}',
      generation_ms integer not null,
      invalidated_at timestamptz,
      invalidated_reason text
    )`.execute(db);

  await sql`
    create table api_keys (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      name text,
      key_prefix text not null,
      key_hash text not null unique,
      created_at timestamptz not null default now(),
      last_used_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);
  await sql`create index api_keys_user_idx on api_keys (user_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table api_keys`.execute(db);
  await sql`drop table user_narratives`.execute(db);
  await sql`drop table memories`.execute(db);
  await sql`drop table users`.execute(db);
}
