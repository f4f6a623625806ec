import { describe, expect, it } from 'vitest';
import { TermVariants } from '../../src/search/term-variants.js';

const TERMS = ['education', 'pursu', 'grandmother', 'allergic', 'paint', 'painter', 'cat', 'interest', 'internet'];

function variants(term: string): string[] {
  return new TermVariants(TERMS).variantsOf(term).map((id) => TERMS[id]!);
}

describe('variants of a term', () => {
  it('finds terms one slip of the keyboard away', () => {
    expect(variants('educaton')).toEqual(['education']);
    expect(variants('persu')).toEqual(['pursu']);
    expect(variants('eudcation')).toEqual(['education']);
  });

  it('finds other forms of a word sharing all but its last letters', () => {
    expect(variants('grandma')).toEqual(['grandmother']);
    expect(variants('allergy')).toEqual(['allergic']);
    expect(variants('painting')).toEqual(['paint', 'painter']);
  });

  it('leaves short terms, unrelated terms and the term itself alone', () => {
    expect(variants('cap')).toEqual([]);
    expect(variants('interview')).toEqual([]);
    expect(variants('paint')).toEqual(['painter']);
    expect(variants('internet')).toEqual([]);
  });
});
