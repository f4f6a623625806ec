const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Where within the refresh window a user's narrative is refreshed, as milliseconds after the
 * window opens (the window closes when the narrative expires). Fixed per user and spread evenly
 * over users: the window times the first 32 bits of the user's id (a random v4 UUID) over 2^32.
 * Narratives written in the same minute are therefore refreshed across the whole window, and each
 * refresh moves them further apart. `NarrativeRepository.dueForRefresh` computes the same in SQL.
 */
export function refreshOffsetMs(userId: string, windowMs: number): number {
  if (!UUID.test(userId)) throw new Error(`refreshOffsetMs needs a user id that is a UUID, got ${JSON.stringify(userId)}`);
  return (Number.parseInt(userId.slice(0, 8), 16) / 2 ** 32) * windowMs;
}
