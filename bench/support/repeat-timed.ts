/** Runs `call` `warmup` times unrecorded, then `calls` times one after another, returning the measured milliseconds. */
export async function repeatTimed(warmup: number, calls: number, call: (index: number) => Promise<number>): Promise<number[]> {
  for (let index = 0; index < warmup; index += 1) await call(index);
  const samples: number[] = [];
  for (let index = 0; index < calls; index += 1) samples.push(await call(warmup + index));
  return samples;
}
