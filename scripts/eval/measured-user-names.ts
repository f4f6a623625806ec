/** Share of memories a capitalised word must open to be taken for the name of the person they are about. */
const OPENER_SHARE = 0.2;

const SELF_NAMING = /\b(?:[Mm]y (?:first |real |legal )?name is|[Cc]all me|I go by|I(?:'m|’m| am) called)\s+(\p{Lu}\p{Ll}+)/gu;

/**
 * The names a narrative may call its user by, found apart from any writer: the first word of the
 * display name, a name the user gives themselves in a memory ("my name is Dana", "call me Dana"),
 * and the capitalised word that opens a fifth or more of the memories ("Caroline attended…").
 * Lower-cased.
 */
export function measuredUserNames(memories: readonly string[], displayName: string | null = null): string[] {
  const names = new Set<string>();
  const first = displayName?.trim().split(/\s+/)[0];
  if (first) names.add(first.toLowerCase());
  const openers = new Map<string, number>();
  for (const memory of memories) {
    for (const match of memory.matchAll(SELF_NAMING)) names.add(match[1]!.toLowerCase());
    const opener = /^\s*(\p{Lu}\p{Ll}+)(?:'s|’s)?\s+\p{Ll}/u.exec(memory)?.[1];
    if (opener && opener !== 'The' && opener !== 'My' && opener !== 'We') openers.set(opener, (openers.get(opener) ?? 0) + 1);
  }
  const [opener, count] = [...openers].sort((a, b) => b[1] - a[1])[0] ?? [];
  if (opener !== undefined && count! >= 2 && count! >= memories.length * OPENER_SHARE) names.add(opener.toLowerCase());
  return [...names];
}
