import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock/system-clock.js';

describe('the system clock', () => {
  it('resolves a sleep when it is over, and leaves no listener on the signal', async () => {
    const controller = new AbortController();
    await expect(systemClock.sleep(0, controller.signal)).resolves.toBeUndefined();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it("rejects a sleep with the signal's own reason when it is aborted first, or was already", async () => {
    const reason = new Error('stopped');
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort(reason);
    await expect(sleeping).rejects.toBe(reason);
    await expect(systemClock.sleep(0, controller.signal)).rejects.toBe(reason);
  });
});
