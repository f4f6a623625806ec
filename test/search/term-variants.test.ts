import { describe, expect, it } from 'vitest';
import { TermVariants } from '../../src/search/term-variants.js';

const TERMS = ['education', 'pursu', 'grandmother', 'allergic', 'paint', 'painter', 'cat', 'interest', 'internet'];

function misspellings(term: string): string[] {
  return new TermVariants(TERMS).misspellingsOf(term).map((id) => TERMS[id]!);
}

function forms(term: string): string[] {
  return new TermVariants(TERMS).formsOf(term).map((id) => TERMS[id]!);
}

describe('variants of a term', () => {
  it('finds terms one slip of the keyboard away', () => {
    expect(misspellings('educaton')).toEqual(['education']);
    expect(misspellings('persu')).toEqual(['pursu']);
    expect(misspellings('eudcation')).toEqual(['education']);
  });

  it('finds other forms of a word sharing all but its last letters', () => {
    expect(forms('grandma')).toEqual(['grandmother']);
    expect(forms('allergy')).toEqual(['allergic']);
    expect(forms('painting')).toEqual(['paint', 'painter']);
  });

  it('leaves short terms, unrelated terms and the term itself alone', () => {
    expect(misspellings('cap')).toEqual([]);
    expect(forms('interview')).toEqual([]);
    expect(misspellings('interview')).toEqual([]);
    expect(forms('paint')).toEqual(['painter']);
    expect(forms('internet')).toEqual([]);
    expect(misspellings('internet')).toEqual([]);
  });

  it('offers only the terms it is told are words', () => {
    const terms = ['paint', 'paintbrush'];
    expect(new TermVariants(terms, (id) => id === 0).formsOf('painter').map((id) => terms[id])).toEqual(['paint']);
  });
});
