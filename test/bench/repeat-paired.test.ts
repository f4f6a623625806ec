import { describe, expect, it } from 'vitest';
import { repeatPaired } from '../../bench/support/repeat-paired.js';

describe('repeatPaired', () => {
  it('alternates which side goes first, pair by pair', async () => {
    const order: string[] = [];
    await repeatPaired(1, 3, {
      ours: async (index) => (order.push(`ours ${index}`), 0),
      theirs: async (index) => (order.push(`theirs ${index}`), 0),
    });
    expect(order).toEqual(['ours 0', 'theirs 0', 'theirs 1', 'ours 1', 'ours 2', 'theirs 2', 'theirs 3', 'ours 3']);
  });

  it('keeps each side its own milliseconds of the measured pairs and drops the warm-up', async () => {
    const samples = await repeatPaired(2, 3, { ours: async (index) => index, theirs: async (index) => index * 10 });
    expect(samples).toEqual({ ours: [2, 3, 4], theirs: [20, 30, 40] });
  });

  it('says when measuring starts: after the warm-up, before the first measured pair', async () => {
    const events: string[] = [];
    const call = async (index: number) => (events.push(`call ${index}`), 0);
    await repeatPaired(1, 1, { ours: call, theirs: call }, () => events.push('measuring'));
    expect(events).toEqual(['call 0', 'call 0', 'measuring', 'call 1', 'call 1']);
  });
});
