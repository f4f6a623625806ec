import { describe, expect, it } from 'vitest';
import { dateCloseness } from '../../src/search/date-closeness.js';

const day = (iso: string) => {
  const date = new Date(iso);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth(), day: date.getUTCDate() };
};

describe("how well a memory's day answers a named date", () => {
  it('judges a memory inside the named period, a named day a little beyond it, and nothing else', () => {
    const named = { year: 2023, month: 5, day: 16 };
    expect(dateCloseness(named, day('2023-06-16T20:00:00Z'))).toBe(1);
    expect(dateCloseness(named, day('2023-06-20T10:00:00Z'))).toBe(0.5);
    expect(dateCloseness(named, day('2023-07-16T10:00:00Z'))).toBe(0);
    expect(dateCloseness({ year: null, month: 4, day: null }, day('2021-05-30T10:00:00Z'))).toBe(1);
    expect(dateCloseness({ year: 2022, month: null, day: null }, day('2023-01-01T00:00:00Z'))).toBe(0);
  });
});
