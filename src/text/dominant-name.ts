import { STOP_WORDS } from './stop-words.js';

/** Share of memories a name must open to be taken for the person the memories are about. */
const SELF_NAME_SHARE = 0.2;

/**
 * The name that opens a good share of the memories ("Caroline attended…"), as written: the person
 * they are about. Undefined when no name opens at least two memories and a fifth of them.
 */
export function dominantName(memories: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const memory of memories) {
    const name = /^([A-Z][a-z]+)(?:'s)?\s+[a-z]/.exec(memory.trim())?.[1];
    if (name && !STOP_WORDS.has(name.toLowerCase())) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const [name, count] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [];
  return name !== undefined && count! >= 2 && count! >= memories.length * SELF_NAME_SHARE ? name : undefined;
}
