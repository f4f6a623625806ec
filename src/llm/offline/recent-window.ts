import type { PreparedMemory } from './prepared-memory.js';

const DAY_MS = 86_400_000;

/**
 * The user's latest memories: those from the `days` before the newest memory — relative to the
 * newest memory, not to the clock, so that a user who has been quiet for a year still has a latest
 * chapter. When that is most of what the user ever said, nothing stands out as latest: none.
 */
export function recentWindow(memories: readonly PreparedMemory[], days: number): PreparedMemory[] {
  if (memories.length === 0) return [];
  const newest = memories.reduce((latest, memory) => Math.max(latest, memory.createdAt.getTime()), Number.NEGATIVE_INFINITY);
  const recent = memories.filter((memory) => memory.createdAt.getTime() > newest - days * DAY_MS);
  return recent.length * 2 > memories.length ? [] : recent;
}
