import { describe, expect, it } from 'vitest';
import { resolveRelativeTime, withDatePrefix } from '../../../src/llm/offline/dated-sentence.js';

const MAY = new Date('2023-05-08T13:56:00Z');
/** A Sunday. */
const SUNDAY_6_DECEMBER_2026 = new Date('2026-12-06T18:00:00Z');

function saidOn(date: string, sentence: string): string | undefined {
  return resolveRelativeTime(sentence, new Date(date));
}

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

describe('relative time resolved against the day it was said', () => {
  it('names the year, month or day a phrase stands for', () => {
    const said = SUNDAY_6_DECEMBER_2026;
    expect(resolveRelativeTime('I started learning Portuguese last year.', said)).toBe('I started learning Portuguese in 2025.');
    expect(resolveRelativeTime('I moved to Porto two years ago.', said)).toBe('I moved to Porto in 2024.');
    expect(resolveRelativeTime('I start a new job next month.', said)).toBe('I start a new job in January 2027.');
    expect(resolveRelativeTime('I ran a half marathon yesterday.', said)).toBe('I ran a half marathon on 5 December 2026.');
    expect(resolveRelativeTime('I bought a bike three days ago.', said)).toBe('I bought a bike on 3 December 2026.');
    expect(resolveRelativeTime('We went to the lake this summer.', said)).toBe('We went to the lake in the summer of 2026.');
    expect(resolveRelativeTime('I have a concert tomorrow night.', said)).toBe('I have a concert on the night of 7 December 2026.');
  });

  it('names a week by its Monday and a weekend by its Saturday', () => {
    const said = SUNDAY_6_DECEMBER_2026;
    expect(resolveRelativeTime('I adopted a cat last week.', said)).toBe('I adopted a cat in the week of 23 November 2026.');
    expect(resolveRelativeTime('I am busy with exams this week.', said)).toBe('I am busy with exams in the week of 30 November 2026.');
    expect(resolveRelativeTime('I went fishing last weekend.', said)).toBe('I went fishing on the weekend of 28 November 2026.');
    expect(saidOn('2026-12-07T09:00:00Z', 'I went fishing last weekend.')).toBe('I went fishing on the weekend of 5 December 2026.');
  });

  it('crosses month and year boundaries', () => {
    expect(saidOn('2027-01-01T09:00:00Z', 'I moved to Porto last month.')).toBe('I moved to Porto in December 2026.');
    expect(saidOn('2027-01-20T09:00:00Z', 'I started learning Portuguese last year.')).toBe('I started learning Portuguese in 2026.');
    expect(saidOn('2027-01-01T09:00:00Z', 'I quit my job yesterday.')).toBe('I quit my job on 31 December 2026.');
  });

  it('knows which years are leap years', () => {
    expect(saidOn('2024-03-01T09:00:00Z', 'I quit my job yesterday.')).toBe('I quit my job on 29 February 2024.');
    expect(saidOn('2023-03-01T09:00:00Z', 'I quit my job yesterday.')).toBe('I quit my job on 28 February 2023.');
  });

  it('names a weekday only when it cannot be two days', () => {
    expect(saidOn('2026-12-07T09:00:00Z', 'I went to a concert last Friday.')).toBe('I went to a concert on 4 December 2026.');
    expect(saidOn('2026-12-05T09:00:00Z', 'I went to a concert last Friday.')).toBe(
      'I went to a concert last Friday (said in December 2026).',
    );
  });

  it('reads naturally at the start of a sentence and after a preposition', () => {
    const said = SUNDAY_6_DECEMBER_2026;
    expect(resolveRelativeTime('Last week, I adopted a cat.', said)).toBe('In the week of 23 November 2026, I adopted a cat.');
    expect(resolveRelativeTime('I moved to Porto. Last week I found a flat.', said)).toBe(
      'I moved to Porto. In the week of 23 November 2026 I found a flat.',
    );
    expect(resolveRelativeTime('Yesterday was my birthday.', said)).toBe('5 December 2026 was my birthday.');
    expect(resolveRelativeTime('I have lived in Porto since last year.', said)).toBe('I have lived in Porto since 2025.');
    expect(resolveRelativeTime('Ana is planning an art show for next month.', said)).toBe('Ana is planning an art show for January 2027.');
  });

  it('resolves every phrase of a sentence', () => {
    expect(resolveRelativeTime('Last week I quit my job and next month I move to Porto.', SUNDAY_6_DECEMBER_2026)).toBe(
      'In the week of 23 November 2026 I quit my job and in January 2027 I move to Porto.',
    );
  });
});

describe('relative time that cannot be resolved', () => {
  it('is attributed to the month it was said', () => {
    const said = SUNDAY_6_DECEMBER_2026;
    expect(resolveRelativeTime('I recently took up pottery.', said)).toBe('I recently took up pottery (said in December 2026).');
    expect(resolveRelativeTime('I will move to Porto soon!', said)).toBe('I will move to Porto soon (said in December 2026)!');
    expect(resolveRelativeTime('I got a tattoo a few weeks ago.', said)).toBe('I got a tattoo a few weeks ago (said in December 2026).');
    expect(resolveRelativeTime('Lately I have been sleeping badly.', said)).toBe('Lately I have been sleeping badly (said in December 2026).');
    expect(resolveRelativeTime('My mom visited over the weekend.', said)).toBe('My mom visited over the weekend (said in December 2026).');
    expect(resolveRelativeTime('These days I walk to work.', said)).toBe('These days I walk to work (said in December 2026).');
  });

  it('is attributed once, beside the phrases that were resolved', () => {
    expect(resolveRelativeTime('I recently quit my job and next month I move to Porto.', SUNDAY_6_DECEMBER_2026)).toBe(
      'I recently quit my job and in January 2027 I move to Porto (said in December 2026).',
    );
  });

  it('includes a time that is not the time of saying, or only roughly', () => {
    const said = SUNDAY_6_DECEMBER_2026;
    expect(resolveRelativeTime('It was my last year of college.', said)).toBe('It was my last year of college (said in December 2026).');
    expect(resolveRelativeTime('She called me the next day.', said)).toBe('She called me the next day (said in December 2026).');
    expect(resolveRelativeTime('I started painting about five years ago.', said)).toBe(
      'I started painting about five years ago (said in December 2026).',
    );
    expect(resolveRelativeTime("Last year's festival was the best.", said)).toBe("Last year's festival was the best (said in December 2026).");
  });
});

describe('a sentence without relative time', () => {
  it('is left alone', () => {
    expect(resolveRelativeTime('I work as a nurse in Porto.', SUNDAY_6_DECEMBER_2026)).toBeUndefined();
    expect(resolveRelativeTime('I was born in 1990.', SUNDAY_6_DECEMBER_2026)).toBeUndefined();
  });
});
