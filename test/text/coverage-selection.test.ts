import { describe, expect, it } from 'vitest';
import { contentTerms } from '../../src/text/content-terms.js';
import { CoverageSelection, type CoveredText } from '../../src/text/coverage-selection.js';
import { termWeights } from '../../src/text/information-coverage.js';

interface Sentence extends CoveredText {
  text: string;
  words: number;
}

function select(contents: string[], budgetWords: number): string[] {
  const sentences: Sentence[] = contents.map((text, index) => ({
    text,
    terms: contentTerms(text),
    words: text.split(/\s+/).length,
    createdAt: new Date(Date.UTC(2024, 0, 1, 10, 0, index)),
  }));
  const selection = new CoverageSelection<Sentence>({
    weights: termWeights(sentences.map((sentence) => sentence.terms)),
    costOf: (sentence) => sentence.words,
    newDayGain: 0,
    costExponent: 1,
    salienceOf: () => 1,
  });
  selection.fill(sentences, budgetWords);
  return selection.chosen.map((sentence) => sentence.text);
}

describe('greedy coverage selection', () => {
  it('prefers a text with words not said yet over a repetition', () => {
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

  it('never takes a near-duplicate of a chosen text, even with budget to spare', () => {
    const chosen = select(['Jon lost his job at the bank.', 'Jon lost his job at the bank last week.'], 100);
    expect(chosen).toHaveLength(1);
  });

  it('stays within its budget', () => {
    const chosen = select(['One two three four five.', 'Six seven eight nine ten.', 'Eleven twelve thirteen fourteen fifteen.'], 11);
    expect(chosen.join(' ').split(/\s+/).length).toBeLessThanOrEqual(11);
  });
});
