/**
 * The 0-based position of the first returned memory whose evidence shares an id with the
 * question's, or null when none does.
 */
export function evidenceHitRank(returned: readonly (readonly string[])[], evidence: readonly string[]): number | null {
  const wanted = new Set(evidence);
  const rank = returned.findIndex((ids) => ids.some((id) => wanted.has(id)));
  return rank < 0 ? null : rank;
}
