import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/open-database.js';

const USERS_PER_INSERT = 500;
const TOPICS = [
  'works as a nurse on the night shift',
  'is training for a half marathon',
  'adopted a rescue dog called Pepper',
  'is learning Portuguese before a trip to Lisbon',
  'plays bass in a weekend jazz band',
  'is renovating an old farmhouse',
  'has two daughters who love chess',
  'volunteers at the food bank on Saturdays',
];

/**
 * Users `bench-000001`… with 20–200 memories each (fixed per user), generated inside the database.
 * Returns how many memories there are.
 */
export async function generateBenchUsers(handle: DatabaseHandle, users: number, onProgress: (done: number) => void = () => {}): Promise<number> {
  const topics = sql.raw(`array[${TOPICS.map((topic) => `'${topic}'`).join(', ')}]`);
  for (let first = 1; first <= users; first += USERS_PER_INSERT) {
    const last = Math.min(users, first + USERS_PER_INSERT - 1);
    const [firstId, lastId] = [first, last].map((n) => `bench-${String(n).padStart(6, '0')}`);
    await sql`insert into users (external_id)
      select 'bench-' || lpad(n::text, 6, '0') from generate_series(${first}::int, ${last}::int) as n`.execute(handle.db);
    await sql`
      insert into memories (user_id, content, content_hash, source, created_at, seq)
      select u.id, m.content, md5(m.content), 'bench', now() - make_interval(hours => m.k), m.k
      from users u
      cross join lateral (
        select k, u.external_id || ' ' || (${topics})[1 + k % 8] || ' (note ' || k || ').' as content
        from generate_series(1, 20 + (hashtext(u.external_id) & 2147483647) % 181) as k
      ) m
      where u.external_id between ${firstId} and ${lastId}`.execute(handle.db);
    await sql`update users set memory_seq = (select max(seq) from memories where memories.user_id = users.id)
      where external_id between ${firstId} and ${lastId}`.execute(handle.db);
    onProgress(last);
  }
  const { rows } = await sql<{ count: number }>`select count(*)::int as count from memories`.execute(handle.db);
  return rows[0]!.count;
}
