/** Runs `work` and returns how long it took in milliseconds (monotonic, nanosecond clock) with its result. */
export async function timeMs<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}
