import { describe, expect, it } from 'vitest';
import { selectByCoverage } from '../../src/text/coverage-selection.js';
import { isNearDuplicate, termWeights } from '../../src/text/information-coverage.js';

const terms = (text: string) => new Set(text.split(' '));

describe('termWeights', () => {
  it('weighs a term said everywhere least and a term said once most', () => {
    const weights = termWeights([terms('ana garden'), terms('ana pottery'), terms('ana dune')]);
    expect(weights.get('ana')).toBeLessThan(weights.get('garden')!);
    expect(weights.get('garden')).toBe(weights.get('pottery'));
  });
});

describe('isNearDuplicate', () => {
  it('holds two term sets that mostly coincide to say the same thing', () => {
    expect(isNearDuplicate(terms('start pottery class tuesday'), terms('start pottery class'))).toBe(true);
    expect(isNearDuplicate(terms('start pottery class'), terms('finish dune book'))).toBe(false);
    expect(isNearDuplicate(new Set(), new Set())).toBe(false);
  });
});

describe('selectByCoverage', () => {
  const texts = ['ana garden', 'ana garden tomato', 'pottery class', 'ana'];
  const weights = termWeights(texts.map(terms));

  it('takes first what adds the most information, never a near-duplicate, and stops when nothing adds any', () => {
    expect(selectByCoverage(texts, terms, weights, 10)).toEqual(['pottery class', 'ana garden tomato']);
  });

  it('takes no more than asked', () => {
    expect(selectByCoverage(texts, terms, weights, 1)).toEqual(['pottery class']);
  });
});
