import { factClaims, type FactClaim } from './fact-claims.js';
import { dominantName } from './dominant-name.js';

/** A memory as the supersession needs it: its text and when it was said. */
export interface DatedText {
  id: string;
  text: string;
  createdAt: Date;
}

/**
 * The memories a newer memory contradicts: an older statement of where someone lives, their job,
 * their partner, their name or a favourite that a later one replaces ("lives in Lisbon", then "moved
 * to Berlin"), or a liking a later one reverses. What was true then is no longer the current fact,
 * so a narrative must not state it as one. Memories that merely add to each other are kept.
 */
export function supersededMemories(memories: readonly DatedText[], userNames: readonly string[] = []): Set<string> {
  const ordered = [...memories].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const opener = dominantName(ordered.map((memory) => memory.text));
  const selfNames = new Set([...userNames, ...(opener ? [opener] : [])].map((name) => name.toLowerCase()));
  const claimsByMemory = ordered.map((memory) => ({ id: memory.id, claims: factClaims(memory.text, selfNames) }));
  const superseded = new Set<string>();
  for (let newer = claimsByMemory.length - 1; newer > 0; newer -= 1) {
    const latest = claimsByMemory[newer]!;
    if (latest.claims.length === 0 || superseded.has(latest.id)) continue;
    for (let older = 0; older < newer; older += 1) {
      const earlier = claimsByMemory[older]!;
      if (superseded.has(earlier.id)) continue;
      if (earlier.claims.some((claim) => latest.claims.some((replacement) => replaces(replacement, claim)))) superseded.add(earlier.id);
    }
  }
  return superseded;
}

function replaces(newer: FactClaim, older: FactClaim): boolean {
  if (newer.holder !== older.holder || newer.slot !== older.slot) return false;
  if (newer.slot === 'liking') return newer.likes !== older.likes && (isSubset(newer.value, older.value) || isSubset(older.value, newer.value));
  if (newer.value.size === 0 || older.value.size === 0) return newer.value.size === 0 && older.value.size > 0;
  return !isSubset(newer.value, older.value) && !isSubset(older.value, newer.value);
}

function isSubset(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const item of a) if (!b.has(item)) return false;
  return true;
}
