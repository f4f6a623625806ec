/**
 * Yields to the event loop until the condition holds: for background work that completes on
 * its own (database I/O), never as a stand-in for time passing. Gives up after `limitMs` of
 * real time, which only a broken test reaches.
 */
export async function until(condition: () => boolean | Promise<boolean>, limitMs = 10_000): Promise<void> {
  const giveUpAt = performance.now() + limitMs;
  while (!(await condition())) {
    if (performance.now() > giveUpAt) throw new Error('condition never became true');
    await new Promise((resolve) => setImmediate(resolve));
  }
}
