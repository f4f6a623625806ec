/**
 * Days as the dashboard's date fields give them (`YYYY-MM-DD`), read in the browser's time zone:
 * a range of whole days, both included, as the instants the REST API takes.
 */

/** Why the range cannot be asked for, or null. */
export function dayRangeProblem({ from, to }) {
  return from && to && from > to ? '“From” is after “To”: choose an earlier From or a later To.' : null;
}

/** `{ from?, to? }` as ISO instants: from the first millisecond of `from` to the last of `to`. */
export function localDayRange({ from, to }) {
  return {
    ...(from ? { from: localTime(from, 0, 0, 0, 0).toISOString() } : {}),
    ...(to ? { to: localTime(to, 23, 59, 59, 999).toISOString() } : {}),
  };
}

/** Whether an ISO instant falls within the days. */
export function isWithinDays(iso, days) {
  const at = Date.parse(iso);
  const { from, to } = localDayRange(days);
  return (!from || at >= Date.parse(from)) && (!to || at <= Date.parse(to));
}

function localTime(day, hours, minutes, seconds, ms) {
  const [year, month, date] = day.split('-').map(Number);
  const time = new Date(2000, 0, 1, hours, minutes, seconds, ms);
  // setFullYear, as `new Date(year, …)` reads the years 0 to 99 as 1900 to 1999.
  time.setFullYear(year, month - 1, date);
  return time;
}
