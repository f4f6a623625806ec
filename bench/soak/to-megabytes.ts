/** Bytes to MB (10^6), to a tenth. */
export function toMegabytes(bytes: number): number {
  return Math.round(bytes / 1e5) / 10;
}
