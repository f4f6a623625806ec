import { sql, type RawBuilder } from 'kysely';

/**
 * Whether a row of `memories` is live at `now`: not deleted, and not expired (an expired memory
 * behaves as deleted from the moment it expires, whether or not the sweep has removed it yet).
 */
export function liveMemory(now: Date): RawBuilder<boolean> {
  return sql<boolean>`(memories.deleted_at is null and (memories.expires_at is null or memories.expires_at > ${now}::timestamptz))`;
}
