import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { refreshOffsetMs } from '../../src/operations/refresh-offset.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;

/** A v4-shaped UUID made from a number, the same on every run. */
function uuidFor(n: number): string {
  const hex = createHash('sha256').update(`user-${n}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

describe('refreshOffsetMs', () => {
  it('gives a user the same offset every time, inside the window', () => {
    const user = uuidFor(1);
    expect(refreshOffsetMs(user, DAY_MS)).toBe(refreshOffsetMs(user, DAY_MS));
    expect(refreshOffsetMs(user, DAY_MS)).toBeGreaterThanOrEqual(0);
    expect(refreshOffsetMs(user, DAY_MS)).toBeLessThan(DAY_MS);
  });

  it('reads the fraction of the window from the first 32 bits of the id', () => {
    expect(refreshOffsetMs('00000000-0000-4000-8000-000000000000', DAY_MS)).toBe(0);
    expect(refreshOffsetMs('80000000-0000-4000-8000-000000000000', DAY_MS)).toBe(12 * HOUR_MS);
    expect(refreshOffsetMs('C0000000-FFFF-4FFF-BFFF-FFFFFFFFFFFF', 4 * HOUR_MS)).toBe(3 * HOUR_MS);
    expect(refreshOffsetMs('ffffffff-0000-4000-8000-000000000000', DAY_MS)).toBeLessThan(DAY_MS);
  });

  it('scales with the window, so a user keeps the same place within any window', () => {
    const user = uuidFor(7);
    expect(refreshOffsetMs(user, 2 * DAY_MS)).toBeCloseTo(2 * refreshOffsetMs(user, DAY_MS), 6);
  });

  it('spreads 10,000 users evenly over the hours of the window', () => {
    const perHour = new Array<number>(24).fill(0);
    for (let n = 0; n < 10_000; n++) perHour[Math.floor(refreshOffsetMs(uuidFor(n), DAY_MS) / HOUR_MS)]! += 1;
    const even = 10_000 / 24;
    for (const count of perHour) {
      expect(count).toBeGreaterThan(even * 0.85);
      expect(count).toBeLessThan(even * 1.15);
    }
  });

  it('refuses an id that is not a UUID', () => {
    expect(() => refreshOffsetMs('locomo-26-caroline', DAY_MS)).toThrow('refreshOffsetMs needs a user id that is a UUID, got "locomo-26-caroline"');
  });
});
