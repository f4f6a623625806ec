/** A calendar period a text names: a year, a month (of a year or of any), or a day. */
export interface DateMention {
  /** Four-digit year, or null when the text names none ("in May"). */
  readonly year: number | null;
  /** 0 (January) to 11, or null for a whole year. */
  readonly month: number | null;
  /** 1 to 31, or null for a whole month or year. */
  readonly day: number | null;
}
