import type { MemoryRow } from '../db/database-schema.js';
import type { PromptMemory } from '../llm/llm-provider.js';
import { contentTerms } from '../text/content-terms.js';
import { CoverageSelection } from '../text/coverage-selection.js';
import { termWeights } from '../text/information-coverage.js';

type MemoryText = Pick<MemoryRow, 'id' | 'content' | 'created_at'>;

/** Share of the budget kept for the newest memories, whatever they add: they are what changed. */
const RECENT_SHARE = 0.3;

interface Candidate {
  memory: PromptMemory;
  terms: ReadonlySet<string>;
  createdAt: Date;
}

/**
 * Chooses, from memory rows newest first, those a prompt can carry within `budgetChars`:
 * everything when it fits; otherwise the most recent ones up to a share of the budget, then the
 * older ones that add the most, by greedy weighted coverage of the words not yet covered (weighed
 * by how rare they are among the candidates) per character, never a near-duplicate of one chosen.
 * Returned oldest first, the order a life story reads in, as the prompt's form.
 */
export function selectPromptMemories(rows: readonly MemoryText[], budgetChars: number): PromptMemory[] {
  const newestFirst = rows.map(toPromptMemory);
  const total = newestFirst.reduce((sum, memory) => sum + memory.content.length, 0);
  const chosen = total <= budgetChars ? newestFirst : chooseWithinBudget(newestFirst, budgetChars);
  return chosen.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
}

function chooseWithinBudget(newestFirst: readonly PromptMemory[], budgetChars: number): PromptMemory[] {
  const candidates: Candidate[] = newestFirst.map((memory) => ({ memory, terms: contentTerms(memory.content), createdAt: memory.createdAt }));
  const selection = new CoverageSelection<Candidate>({
    weights: termWeights(candidates.map((candidate) => candidate.terms)),
    costOf: (candidate) => candidate.memory.content.length,
    newDayGain: 0,
    costExponent: 1,
    salienceOf: () => 1,
  });
  let recent = 0;
  for (; recent < candidates.length; recent += 1) {
    const candidate = candidates[recent]!;
    if (selection.usedCost + candidate.memory.content.length > budgetChars * RECENT_SHARE) break;
    selection.take(candidate);
  }
  selection.fill(candidates.slice(recent), budgetChars);
  return selection.chosen.map((candidate) => candidate.memory);
}

function toPromptMemory(memory: MemoryText): PromptMemory {
  return { id: memory.id, content: memory.content, createdAt: memory.created_at };
}
