import { describe, expect, it } from 'vitest';
import { CoverageSelection, termWeights } from '../../../src/llm/offline/coverage-selection.js';
import { prepareMemories } from '../../../src/llm/offline/prepared-memory.js';

function select(contents: string[], budgetWords: number): string[] {
  const memories = prepareMemories(
    contents.map((content, index) => ({ id: `m${index}`, content, createdAt: new Date(Date.UTC(2024, 0, 1, 10, 0, index)) })),
  );
  const selection = new CoverageSelection({
    weights: termWeights(memories),
    costOf: (memory) => memory.words,
    newDayGain: 0,
    costExponent: 1,
    salienceOf: () => 1,
  });
  selection.fill(memories, budgetWords);
  return selection.chosen.map((memory) => memory.sentence);
}

describe('greedy coverage selection', () => {
  it('prefers a memory with words not said yet over a repetition', () => {
    const chosen = select(
      [
        'Maria volunteers at the homeless shelter.',
        'Maria volunteers at the shelter.',
        'Maria adopted a puppy named Coco.',
      ],
      12,
    );
    expect(chosen).toEqual(['Maria adopted a puppy named Coco.', 'Maria volunteers at the homeless shelter.']);
  });

  it('never takes a near-duplicate of a chosen memory, even with budget to spare', () => {
    const chosen = select(['Jon lost his job at the bank.', 'Jon lost his job at the bank last week.'], 100);
    expect(chosen).toHaveLength(1);
  });

  it('stays within its word budget', () => {
    const chosen = select(['One two three four five.', 'Six seven eight nine ten.', 'Eleven twelve thirteen fourteen fifteen.'], 11);
    expect(chosen.join(' ').split(/\s+/).length).toBeLessThanOrEqual(11);
  });
});
