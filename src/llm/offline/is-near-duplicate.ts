/** Two sentences whose content words mostly coincide say the same thing; the second adds nothing. */
export function isNearDuplicate(a: ReadonlySet<string>, b: ReadonlySet<string>, threshold = 0.6): boolean {
  if (a.size === 0 || b.size === 0) return false;
  let shared = 0;
  for (const term of a) if (b.has(term)) shared += 1;
  return shared / (a.size + b.size - shared) >= threshold;
}
