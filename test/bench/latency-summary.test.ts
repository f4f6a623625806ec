import { describe, expect, it } from 'vitest';
import { summarizeLatencies } from '../../bench/support/latency-summary.js';

describe('summarizeLatencies', () => {
  it('takes percentiles by nearest rank, whatever the order of the samples', () => {
    const samples = Array.from({ length: 100 }, (_, index) => 100 - index);
    expect(summarizeLatencies(samples)).toEqual({ n: 100, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 });
  });

  it('gives the only sample for every percentile of one', () => {
    expect(summarizeLatencies([0.25])).toMatchObject({ n: 1, p50: 0.25, p99: 0.25, max: 0.25 });
  });

  it('refuses an empty set rather than inventing a figure', () => {
    expect(() => summarizeLatencies([])).toThrow(/no latency samples/);
  });
});
