import { describe, expect, it } from 'vitest';
import { withDatePrefix } from '../../../src/llm/offline/dated-sentence.js';

const MAY = new Date('2023-05-08T13:56:00Z');

describe('a sentence with its date', () => {
  it('names the month and year in words', () => {
    expect(withDatePrefix('Caroline attended a support group.', MAY)).toBe('In May 2023, Caroline attended a support group.');
  });

  it('lowers a common first word but never a name, an acronym or "I"', () => {
    expect(withDatePrefix('The support group helped.', MAY)).toBe('In May 2023, the support group helped.');
    expect(withDatePrefix('LGBTQ events inspire Caroline.', MAY)).toBe('In May 2023, LGBTQ events inspire Caroline.');
    expect(withDatePrefix('I moved.', MAY)).toBe('In May 2023, I moved.');
  });
});
