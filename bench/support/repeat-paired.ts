/** The measured milliseconds of each side of a paired run, pair by pair. */
export interface PairedSamples {
  ours: number[];
  theirs: number[];
}

/**
 * Calls our server and another in pairs, which goes first alternating from pair to pair, so both
 * see the same machine at the same moment: `warmup` pairs unrecorded, then `pairs` measured.
 * `onMeasuring` runs once, just before the first measured pair (to start reading CPU or memory).
 */
export async function repeatPaired(
  warmup: number,
  pairs: number,
  call: { ours: (index: number) => Promise<number>; theirs: (index: number) => Promise<number> },
  onMeasuring: () => void = () => {},
): Promise<PairedSamples> {
  const samples: PairedSamples = { ours: [], theirs: [] };
  for (let index = 0; index < warmup + pairs; index += 1) {
    if (index === warmup) onMeasuring();
    let ours: number;
    let theirs: number;
    if (index % 2 === 0) {
      ours = await call.ours(index);
      theirs = await call.theirs(index);
    } else {
      theirs = await call.theirs(index);
      ours = await call.ours(index);
    }
    if (index < warmup) continue;
    samples.ours.push(ours);
    samples.theirs.push(theirs);
  }
  return samples;
}
