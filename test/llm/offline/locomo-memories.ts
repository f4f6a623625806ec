import { readFileSync } from 'node:fs';
import type { PromptMemory } from '../../../src/llm/llm-provider.js';
import { LOCOMO_MEMORIES } from '../../support/locomo.js';

const MEMORIES_FILE = LOCOMO_MEMORIES;

interface MemoryRow {
  user: string;
  content: string;
  created_at: string;
}

const rows: MemoryRow[] = readFileSync(MEMORIES_FILE, 'utf8')
  .split('\n')
  .filter((line) => line.trim().length > 0)
  .map((line) => JSON.parse(line) as MemoryRow);

/** The LoCoMo memories of one user (e.g. `locomo-26-caroline`), with ids `<user>/<n>`. */
export function locomoMemories(user: string): PromptMemory[] {
  const memories = rows
    .filter((row) => row.user === user)
    .map((row, index) => ({ id: `${user}/${index}`, content: row.content, createdAt: new Date(row.created_at) }));
  if (memories.length === 0) throw new Error(`No LoCoMo memories for ${user}`);
  return memories;
}

/** The LoCoMo user with the most memories. */
export function largestLocomoUser(): string {
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.user, (counts.get(row.user) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}
