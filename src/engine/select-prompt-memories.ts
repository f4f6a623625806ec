import type { MemoryRow } from '../db/database-schema.js';
import type { PromptMemory } from '../llm/llm-provider.js';

type MemoryText = Pick<MemoryRow, 'id' | 'content' | 'created_at'>;

/**
 * Chooses, from memory rows newest first, those a prompt can carry within `budgetChars`:
 * everything when it fits; otherwise the most recent ones first, then older ones that say the
 * most, by length. Returned oldest first, the order a life story reads in, as the prompt's form.
 */
export function selectPromptMemories(rows: readonly MemoryText[], budgetChars: number): PromptMemory[] {
  const newestFirst = rows.map(toPromptMemory);
  const total = newestFirst.reduce((sum, memory) => sum + memory.content.length, 0);
  let chosen: PromptMemory[];
  if (total <= budgetChars) {
    chosen = newestFirst;
  } else {
    chosen = [];
    let used = 0;
    const recentBudget = budgetChars * 0.6;
    let index = 0;
    for (; index < newestFirst.length; index++) {
      const memory = newestFirst[index]!;
      if (used + memory.content.length > recentBudget) break;
      chosen.push(memory);
      used += memory.content.length;
    }
    const older = newestFirst.slice(index).sort((a, b) => b.content.length - a.content.length);
    for (const memory of older) {
      if (used + memory.content.length > budgetChars) continue;
      chosen.push(memory);
      used += memory.content.length;
    }
  }
  return chosen.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
}

function toPromptMemory(memory: MemoryText): PromptMemory {
  return { id: memory.id, content: memory.content, createdAt: memory.created_at };
}
