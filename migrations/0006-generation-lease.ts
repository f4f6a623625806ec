import { sql, type Kysely } from 'kysely';

// A lease on the user's generation-state row replaces the session advisory lock that held a pooled
// connection for the whole LLM call. A process takes the lease with a token of its own and an
// expiry, renews it while the LLM writes, fences the narrative's write on it and clears it at the
// end; a dead process's lease simply expires. The check keeps token and expiry set or cleared together.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table narrative_generation_state
      add column lease_token uuid,
      add column lease_expires_at timestamptz,
      add constraint narrative_generation_state_lease_whole check ((lease_token is null) = (lease_expires_at is null))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    alter table narrative_generation_state
      drop constraint narrative_generation_state_lease_whole,
      drop column lease_expires_at,
      drop column lease_token`.execute(db);
}
