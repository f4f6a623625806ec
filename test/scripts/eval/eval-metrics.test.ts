import { describe, expect, it } from 'vitest';
import { eventCoverage } from '../../../scripts/eval/event-coverage.js';
import { evidenceHitRank } from '../../../scripts/eval/evidence-hit-rank.js';
import { metricWords } from '../../../scripts/eval/metric-words.js';
import { recallSummary } from '../../../scripts/eval/recall-summary.js';
import { recentMemoriesText } from '../../../scripts/eval/recent-memories-text.js';

describe('the evaluation metrics', () => {
  it('counts as content words the lower-cased words of three letters or more that are not stop words', () => {
    expect(metricWords('Caroline went to an LGBTQ support group, by bus, in 2023!')).toEqual([
      'caroline',
      'went',
      'lgbtq',
      'support',
      'group',
      'bus',
      '2023',
    ]);
  });

  it('covers an event when at least half of its distinct content words appear in the text', () => {
    const events = [
      'Caroline attends an LGBTQ support group for the first time.', // caroline attends lgbtq support group first time: 7 words
      'Melanie registers for a pottery class.', // melanie registers pottery class: 4 words
      'Jon opens a dance studio.', // jon opens dance studio: 4 words
    ];
    // 4 of 7 words of the first event; 2 of 4 (exactly half) of the second; 1 of 4 of the third.
    const text = 'Caroline found the SUPPORT group and LGBTQ friends. Melanie took a class. Jon is tired.';
    expect(eventCoverage(text, events)).toEqual({ covered: 2, total: 3, share: 2 / 3 });
    expect(eventCoverage('Caroline, support group', [events[0]!]).covered).toBe(0);
  });

  it('never covers an event without content words, and covers nothing of no events', () => {
    expect(eventCoverage('anything at all', ['It was so.'])).toEqual({ covered: 0, total: 1, share: 0 });
    expect(eventCoverage('anything at all', [])).toEqual({ covered: 0, total: 0, share: 0 });
  });

  it('finds where the first memory sharing an evidence id with the question comes', () => {
    expect(evidenceHitRank([['D1:1'], [], ['D2:3', 'D2:4'], ['D1:5']], ['D1:5', 'D2:4'])).toBe(2);
    expect(evidenceHitRank([['D1:1']], ['D9:9'])).toBeNull();
    expect(evidenceHitRank([], ['D1:1'])).toBeNull();
  });

  it('reports recall at 5, 10 and 20 overall and per category', () => {
    const summary = recallSummary([
      { category: 1, rank: 0 },
      { category: 1, rank: 7 },
      { category: 2, rank: 15 },
      { category: 2, rank: null },
    ]);
    expect(summary.questions).toBe(4);
    expect(summary.recall).toEqual({ 5: 0.25, 10: 0.5, 20: 0.75 });
    expect(summary.byCategory[1]).toEqual({ questions: 2, recall: { 5: 0.5, 10: 1, 20: 1 } });
    expect(summary.byCategory[2]).toEqual({ questions: 2, recall: { 5: 0, 10: 0, 20: 0.5 } });
  });

  it('builds the baseline from the newest memories that fit in the word count', () => {
    const memories = [
      { content: 'one two three', createdAt: new Date('2024-01-01') },
      { content: 'four five', createdAt: new Date('2024-03-01') },
      { content: 'six seven eight nine', createdAt: new Date('2024-02-01') },
    ];
    expect(recentMemoriesText(memories, 6)).toBe('four five six seven eight nine');
    expect(recentMemoriesText(memories, 5)).toBe('four five');
    expect(recentMemoriesText(memories, 0)).toBe('');
  });
});
