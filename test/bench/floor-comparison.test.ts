import { describe, expect, it } from 'vitest';
import { compareWithFloor } from '../../bench/support/floor-comparison.js';

const floor = { p50: 0.4, p99: 2, cpuMsPerCall: 0.2 };

describe('compareWithFloor', () => {
  it('divides our p50, p99 and server CPU per call by the floor’s', () => {
    const { figures, summary } = compareWithFloor('stdio', { p50: 0.5, p99: 2.2, cpuMsPerCall: 0.5 }, floor);
    expect(figures).toEqual({ p50Ratio: 1.25, p99Ratio: 1.1, cpuPerCallRatio: 2.5 });
    expect(summary).toBe('p50s 1.25, p99s 1.1, server CPU per call 2.5');
  });

  it('holds stdio to 1.2 times the floor’s p50 and p99', () => {
    const { targets } = compareWithFloor('stdio', { p50: 0.5, p99: 2.4, cpuMsPerCall: 5 }, floor);
    expect(targets).toEqual([
      { target: 'p50 / floor ≤ 1.2', measured: 1.25, met: false },
      { target: 'p99 / floor ≤ 1.2', measured: 1.2, met: true },
    ]);
  });

  it('holds HTTP to 1.5 times the floor’s server CPU per call and p50, whatever the p99', () => {
    const { targets } = compareWithFloor('http', { p50: 0.6, p99: 20, cpuMsPerCall: 0.31 }, floor);
    expect(targets).toEqual([
      { target: 'server CPU per call / floor ≤ 1.5', measured: 1.55, met: false },
      { target: 'p50 / floor ≤ 1.5', measured: 1.5, met: true },
    ]);
  });

  it('gives no ratio, and meets no target, when the floor measured no CPU at all', () => {
    const { figures, summary, targets } = compareWithFloor('http', { p50: 0.4, p99: 2, cpuMsPerCall: 0.1 }, { ...floor, cpuMsPerCall: 0 });
    expect(figures.cpuPerCallRatio).toBeNaN();
    expect(summary).toContain('server CPU per call n/a (floor at 0)');
    expect(targets[0]!.met).toBe(false);
  });
});
