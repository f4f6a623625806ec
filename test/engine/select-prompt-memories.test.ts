import { describe, expect, it } from 'vitest';
import { selectPromptMemories } from '../../src/engine/select-prompt-memories.js';

const DAY_MS = 86_400_000;
const START = Date.UTC(2025, 0, 1);

/** Memory rows newest first, as the repository returns them; the first content is the oldest. */
function rowsOf(contents: readonly string[]): { id: string; content: string; created_at: Date }[] {
  return contents
    .map((content, index) => ({ id: `m${String(index).padStart(4, '0')}`, content, created_at: new Date(START + index * DAY_MS) }))
    .reverse();
}

const totalChars = (memories: readonly { content: string }[]) => memories.reduce((sum, memory) => sum + memory.content.length, 0);

describe('choosing the memories a prompt carries', () => {
  it('carries every memory, oldest first, when they all fit', () => {
    const chosen = selectPromptMemories(rowsOf(['Ana plays the cello.', 'Ana moved to Porto.']), 1_000);
    expect(chosen.map((memory) => memory.content)).toEqual(['Ana plays the cello.', 'Ana moved to Porto.']);
  });

  it('past the budget, chooses short distinct memories over long near-duplicates of one another', () => {
    const repeated = Array.from(
      { length: 30 },
      (_, index) =>
        `Ana spent the whole long afternoon in the garden again pruning the roses, watering the tomatoes and weeding the beds (${index}).`,
    );
    const distinct = [
      'Ana adopted a greyhound named Pip.',
      'Ana teaches statistics at the university.',
      'Ana is learning Japanese for a trip to Kyoto.',
      'Ana ran her first marathon in Lisbon.',
      'Ana’s sister Rita is expecting twins.',
      'Ana volunteers at the food bank on Saturdays.',
    ];
    const recent = ['Ana bought a new bicycle.', 'Ana fixed the gate.', 'Ana called her aunt.'];
    const contents = [...distinct, ...repeated, ...recent];

    const chosen = selectPromptMemories(rowsOf(contents), 1_000).map((memory) => memory.content);

    expect(chosen).toEqual(expect.arrayContaining([...distinct, ...recent]));
    expect(chosen.filter((content) => content.includes('garden')).length).toBeLessThanOrEqual(1);
  });

  it('keeps the newest memories whatever they add, and stays within the budget', () => {
    const contents = Array.from({ length: 200 }, (_, index) => `Ana noted fact number ${index} about topic${index} and place${index}.`);

    const chosen = selectPromptMemories(rowsOf(contents), 2_000);

    expect(totalChars(chosen)).toBeLessThanOrEqual(2_000);
    const newest = contents.slice(-10);
    expect(chosen.map((memory) => memory.content)).toEqual(expect.arrayContaining(newest));
    expect(chosen.map((memory) => memory.createdAt.getTime())).toEqual([...chosen.map((memory) => memory.createdAt.getTime())].sort((a, b) => a - b));
  });
});
