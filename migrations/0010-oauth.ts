import { sql, type Kysely } from 'kysely';

// OAuth 2.1 sign-in for remote MCP clients. Clients, registered (Dynamic Client Registration) or
// known by the metadata document their URL id points to (its copy and when it was fetched), and
// pending authorizations (a sign-in page opened, not yet answered) belong to no user yet; grants,
// codes and tokens are each scoped to a user. Codes and tokens are stored only as SHA-256 hashes
// of 256 random bits, like API keys. A grant is one user's consent to one client; revoking it ends
// every token issued under it. Refresh and access tokens issued from one authorization share a
// family id, so a replayed refresh token can revoke all of them at once.
//
// A revoked grant or access token, like a revoked key, is announced on the user-change channel with
// the user's id, so every serving process drops the token owners it holds for that user. Insertions
// announce nothing (an unknown token is never held), nor does the `last_used_at` bookkeeping.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table oauth_clients (
      client_id text primary key,
      secret_hash text,
      metadata jsonb not null,
      metadata_fetched_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);

  await sql`
    create table oauth_pending_authorizations (
      id_hash text primary key,
      csrf_hash text not null,
      client_id text not null references oauth_clients (client_id) on delete cascade,
      redirect_uri text not null,
      code_challenge text not null,
      state text,
      resource text not null,
      scopes text[] not null default '{}',
      expires_at timestamptz not null
    )`.execute(db);
  await sql`create index oauth_pending_authorizations_expiry_idx on oauth_pending_authorizations (expires_at)`.execute(db);

  await sql`
    create table oauth_grants (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references users (id) on delete cascade,
      client_id text not null references oauth_clients (client_id) on delete cascade,
      scopes text[] not null default '{}',
      created_at timestamptz not null,
      last_used_at timestamptz,
      revoked_at timestamptz
    )`.execute(db);
  // One live grant per user and client; a revoked one stays as a record until its user or client goes.
  await sql`create unique index oauth_grants_user_client_live_idx on oauth_grants (user_id, client_id) where revoked_at is null`.execute(db);

  await sql`
    create table oauth_authorization_codes (
      code_hash text primary key,
      user_id uuid not null references users (id) on delete cascade,
      grant_id uuid not null references oauth_grants (id) on delete cascade,
      client_id text not null,
      redirect_uri text not null,
      code_challenge text not null,
      resource text not null,
      family_id uuid not null,
      expires_at timestamptz not null,
      used_at timestamptz
    )`.execute(db);
  await sql`create index oauth_authorization_codes_user_idx on oauth_authorization_codes (user_id)`.execute(db);

  for (const kind of ['refresh', 'access']) {
    await sql`
      create table ${sql.table(`oauth_${kind}_tokens`)} (
        token_hash text primary key,
        user_id uuid not null references users (id) on delete cascade,
        grant_id uuid not null references oauth_grants (id) on delete cascade,
        family_id uuid not null,
        resource text not null,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        ${kind === 'refresh' ? sql`rotated_at timestamptz,` : sql``}
        revoked_at timestamptz
      )`.execute(db);
    await sql`create index ${sql.id(`oauth_${kind}_tokens_family_idx`)} on ${sql.table(`oauth_${kind}_tokens`)} (family_id)`.execute(db);
    await sql`create index ${sql.id(`oauth_${kind}_tokens_user_idx`)} on ${sql.table(`oauth_${kind}_tokens`)} (user_id)`.execute(db);
  }

  await sql`
    create function notify_oauth_user_changed() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' or tg_op = 'UPDATE' then
        perform pg_notify('narrative_mcp_user_changed', old.user_id::text);
      end if;
      if tg_op = 'UPDATE' and new.user_id <> old.user_id then
        perform pg_notify('narrative_mcp_user_changed', new.user_id::text);
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`create trigger oauth_grants_changed_notify after delete or update of user_id, revoked_at on oauth_grants
    for each row execute function notify_oauth_user_changed()`.execute(db);
  await sql`create trigger oauth_access_tokens_changed_notify after delete or update of user_id, revoked_at on oauth_access_tokens
    for each row execute function notify_oauth_user_changed()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table oauth_access_tokens`.execute(db);
  await sql`drop table oauth_refresh_tokens`.execute(db);
  await sql`drop table oauth_authorization_codes`.execute(db);
  await sql`drop table oauth_grants`.execute(db);
  await sql`drop table oauth_pending_authorizations`.execute(db);
  await sql`drop table oauth_clients`.execute(db);
  await sql`drop function notify_oauth_user_changed()`.execute(db);
}
