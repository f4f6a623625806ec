import { sql, type Kysely } from 'kysely';

// A created, revoked or deleted key is announced on the user-change channel with the key's user
// id, so a serving process drops the key owners it holds for that user. Row-level and limited to
// the columns that decide who a key authenticates: the `last_used_at` bookkeeping of every key
// lookup must not announce anything (it would empty the hot tier of the key's user each time),
// and PostgreSQL allows no column list on a trigger with transition tables.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function notify_api_key_changed() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' or tg_op = 'UPDATE' then
        perform pg_notify('narrative_mcp_user_changed', old.user_id::text);
      end if;
      if tg_op = 'INSERT' or tg_op = 'UPDATE' then
        perform pg_notify('narrative_mcp_user_changed', new.user_id::text);
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`create trigger api_keys_changed_notify after insert or delete or update of user_id, key_hash, revoked_at on api_keys
    for each row execute function notify_api_key_changed()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger api_keys_changed_notify on api_keys`.execute(db);
  await sql`drop function notify_api_key_changed()`.execute(db);
}
