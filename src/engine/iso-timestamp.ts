/** ISO strings of the dates held in memory, made once per Date (formatting one costs about a microsecond). */
const isoStrings = new WeakMap<Date, string>();

/** `date.toISOString()`, remembered for this Date object; a Date must not be changed after it is formatted. */
export function isoTimestamp(date: Date): string {
  let iso = isoStrings.get(date);
  if (iso === undefined) {
    iso = date.toISOString();
    isoStrings.set(date, iso);
  }
  return iso;
}
