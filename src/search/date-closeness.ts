import type { DateMention } from './date-mention.js';

/** A memory's calendar day in UTC, as the index keeps it: every server reads the same memories alike. */
export interface CalendarDay {
  readonly year: number;
  /** 0 (January) to 11. */
  readonly month: number;
  readonly day: number;
}

/**
 * How well a memory's day answers a named period: 1 inside it; for a named day, ½ elsewhere in
 * its month (a memory is often written a few days after what it tells); otherwise 0.
 */
export function dateCloseness(mention: DateMention, date: CalendarDay): number {
  if (mention.year !== null && date.year !== mention.year) return 0;
  if (mention.month !== null && date.month !== mention.month) return 0;
  if (mention.day === null || date.day === mention.day) return 1;
  return 0.5;
}
