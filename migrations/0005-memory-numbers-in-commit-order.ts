import { sql, type Kysely } from 'kysely';

// A memory's `seq` becomes its number among its user's memories, handed out under the user's row
// lock (`users.memory_seq`, the last number given) by the transaction that inserts it, so a user's
// numbers follow commit order: a snapshot that sees memory N sees every memory numbered N or
// less. A global identity hands numbers out in the order transactions ask, not the order they
// commit, so a narrative built from a snapshot that saw 11 but not an uncommitted 10 never counted
// 10 as added since it. Existing memories are numbered per user in their old order, and each
// narrative's `source_max_seq` becomes the number of the last memory it was built from.
//
// Kysely's migrator runs this once, in one transaction, under an advisory lock, so two processes
// starting at once do not both apply it; each step also finds its work done if it runs again.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table users add column if not exists memory_seq bigint not null default 0`.execute(db);

  if (await seqIsGlobalIdentity(db)) {
    // Before renumbering: the memories of the user with a global seq up to the narrative's are the
    // first ones in the user's new numbering, so their count is the number of the last of them.
    await sql`
      update user_narratives set source_max_seq = (
        select count(*) from memories
        where memories.user_id = user_narratives.user_id and memories.seq <= user_narratives.source_max_seq
      )`.execute(db);
    await sql`alter table memories alter column seq drop identity`.execute(db);
    await sql`
      update memories set seq = numbered.seq
      from (select id, row_number() over (partition by user_id order by seq) as seq from memories) as numbered
      where memories.id = numbered.id and memories.seq <> numbered.seq`.execute(db);
  }

  await sql`
    update users set memory_seq = numbered.last
    from (select user_id, max(seq) as last from memories group by user_id) as numbered
    where users.id = numbered.user_id and users.memory_seq < numbered.last`.execute(db);
  // A number is never handed out twice for a user.
  await sql`create unique index if not exists memories_user_seq_key on memories (user_id, seq)`.execute(db);
  await sql`drop index if exists memories_user_seq_idx`.execute(db);
}

async function seqIsGlobalIdentity(db: Kysely<unknown>): Promise<boolean> {
  const { rows } = await sql<{ identity: string }>`
    select attidentity as identity from pg_attribute where attrelid = 'memories'::regclass and attname = 'seq'`.execute(db);
  return (rows[0]?.identity ?? '') !== '';
}

// Numbers handed out from now on by an identity starting above every user's number still compare
// rightly with the per-user numbers kept by memories and narratives.
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`create index memories_user_seq_idx on memories (user_id, seq)`.execute(db);
  await sql`drop index memories_user_seq_key`.execute(db);
  const { rows } = await sql<{ next: string }>`select (coalesce(max(seq), 0) + 1)::text as next from memories`.execute(db);
  await sql`alter table memories alter column seq add generated always as identity (start with ${sql.raw(String(BigInt(rows[0]!.next)))})`.execute(db);
  await sql`alter table users drop column memory_seq`.execute(db);
}
