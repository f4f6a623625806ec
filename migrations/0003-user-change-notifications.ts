import { sql, type Kysely } from 'kysely';

// Every committed change to a user's memories or narrative is announced on one channel with the
// user's id, so each server process can drop what it holds in memory for that user. NOTIFY is
// transactional (sent at commit, never for a rollback) and PostgreSQL folds identical
// notifications of one transaction into one, so a bulk import announces each user once.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function notify_user_changed() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' or tg_op = 'UPDATE' then
        perform pg_notify('narrative_mcp_user_changed', user_id::text) from (select distinct user_id from old_rows) as changed;
      end if;
      if tg_op = 'INSERT' or tg_op = 'UPDATE' then
        perform pg_notify('narrative_mcp_user_changed', user_id::text) from (select distinct user_id from new_rows) as changed;
      end if;
      return null;
    end
    $$`.execute(db);
  for (const table of ['memories', 'user_narratives']) {
    await sql`create trigger ${sql.id(`${table}_inserted_notify`)} after insert on ${sql.table(table)}
      referencing new table as new_rows for each statement execute function notify_user_changed()`.execute(db);
    await sql`create trigger ${sql.id(`${table}_updated_notify`)} after update on ${sql.table(table)}
      referencing old table as old_rows new table as new_rows for each statement execute function notify_user_changed()`.execute(db);
    await sql`create trigger ${sql.id(`${table}_deleted_notify`)} after delete on ${sql.table(table)}
      referencing old table as old_rows for each statement execute function notify_user_changed()`.execute(db);
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['memories', 'user_narratives']) {
    for (const event of ['inserted', 'updated', 'deleted']) {
      await sql`drop trigger ${sql.id(`${table}_${event}_notify`)} on ${sql.table(table)}`.execute(db);
    }
  }
  await sql`drop function notify_user_changed()`.execute(db);
}
