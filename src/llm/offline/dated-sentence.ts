import { STOP_WORDS } from '../../text/stop-words.js';

/**
 * A sentence's place in time. A memory that speaks of time relative to when it was said ("last
 * year", "yesterday") is rewritten to say the time itself where the memory's date tells it exactly
 * ("in 2025", "on 5 December 2026"), and is attributed to that date where it cannot be told
 * ("recently (said in December 2026)"); a latest event that does not say when it happened gets the
 * month it was said ("In May 2023, …").
 *
 * Days, weeks (Monday to Sunday), months and years are computed in UTC, so that the same memories
 * read the same on every server: a memory said late in the evening west of Greenwich is dated as
 * of the next day.
 */

const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
] as const;

const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;

const COUNTS: ReadonlyMap<string, number> = new Map([
  ['a', 1], ['an', 1], ['one', 1], ['two', 2], ['three', 3], ['four', 4], ['five', 5], ['six', 6],
  ['seven', 7], ['eight', 8], ['nine', 9], ['ten', 10], ['eleven', 11], ['twelve', 12],
]);

const WEEKDAY = WEEKDAYS.join('|');
const partOfDay = (group: string): string => String.raw`(?:\s+(?<${group}>morning|afternoon|evening|night))?`;

/**
 * Every phrase of relative time. The named groups mark the phrases that may be resolvable; any
 * other match (the last alternative) can only be attributed.
 */
const RELATIVE_TIME = new RegExp(
  String.raw`\b(?:` +
    String.raw`(?<count>a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})\s+(?<unit>day|week|month|year)s?\s+ago` +
    String.raw`|(?<deictic>yesterday|today|tomorrow)${partOfDay('part')}|(?<tonight>tonight)|this\s+(?<thisPart>morning|afternoon|evening)` +
    String.raw`|(?<relation>last|next|this)\s+(?:(?<weekday>${WEEKDAY})${partOfDay('weekdayPart')}|(?<span>night|week|weekend|month|year|summer|spring|autumn|fall))` +
    String.raw`|recently|lately|ago|currently|soon|upcoming|nowadays|these\s+days|over\s+the\s+weekend` +
    String.raw`|(?:last|next|this|previous|coming|past|the\s+other)\s+(?:day|night|week|weekend|month|year|summer|winter|spring|fall|autumn|semester|season|${WEEKDAY}|few\s+\w+|couple\s+of\s+\w+)` +
    String.raw`)\b`,
  'gi',
);

/** A word before the phrase that makes it something else: "the last year", "my next month", "about a year ago". */
const NOT_A_TIME_OF_SAYING = new Set(
  `the a an my his her their our your its that every each whose one about around almost nearly over
  roughly some approximately than least under within`.split(/\s+/),
);

/** A word before the phrase that already says how it relates: "since last year" → "since 2025". */
const PREPOSITIONS = new Set('since until till by from before after of during through throughout for in on to into'.split(' '));

/** A verb after a phrase opening the sentence makes it the subject: "Yesterday was…" → "5 December 2026 was…". */
const SUBJECT_OF = /^\s+(?:is|was|were|has|had|will|would)\b/i;

/** A time said as a phrase that can stand alone ("5 December 2026") and the preposition it takes ("on"). */
interface Resolved {
  phrase: string;
  preposition: 'in' | 'on';
}

/** "May 2023", in UTC so that the same memories read the same on every server. */
export function formatMonth(date: Date): string {
  return `${MONTHS[date.getUTCMonth()] ?? ''} ${date.getUTCFullYear()}`;
}

/**
 * The sentence with its relative time resolved against `said` or attributed to it, or `undefined`
 * when it speaks of no time relative to when it was said.
 */
export function resolveRelativeTime(sentence: string, said: Date): string | undefined {
  let found = false;
  let unresolved = false;
  const resolved = sentence.replace(RELATIVE_TIME, (match: string, ...args: unknown[]) => {
    found = true;
    const offset = args.at(-3) as number;
    const groups = args.at(-1) as Record<string, string | undefined>;
    const before = sentence.slice(0, offset);
    const after = sentence.slice(offset + match.length);
    const wordBefore = /([A-Za-z]+)\W*$/.exec(before)?.[1]?.toLowerCase();
    const time =
      (wordBefore !== undefined && NOT_A_TIME_OF_SAYING.has(wordBefore)) || /^['’]s\b/.test(after) ? undefined : resolve(groups, said);
    if (!time) {
      unresolved = true;
      return match;
    }
    const opensSentence = !/[A-Za-z0-9]/.test(before) || /[.!?…]["'”’)\]]*\s+$/.test(before);
    const bare = (wordBefore !== undefined && PREPOSITIONS.has(wordBefore)) || (opensSentence && SUBJECT_OF.test(after));
    const text = bare ? time.phrase : `${time.preposition} ${time.phrase}`;
    return opensSentence ? text.charAt(0).toUpperCase() + text.slice(1) : text;
  });
  if (!found) return undefined;
  return unresolved ? resolved.replace(/(?=[.!?…]+["'”’)\]]*$)|$/, ` (said in ${formatMonth(said)})`) : resolved;
}

function resolve(groups: Record<string, string | undefined>, said: Date): Resolved | undefined {
  const day = Date.UTC(said.getUTCFullYear(), said.getUTCMonth(), said.getUTCDate());
  const weekday = (said.getUTCDay() + 6) % 7;
  const monday = addDays(day, -weekday);
  const part = (groups.part ?? groups.weekdayPart ?? groups.thisPart)?.toLowerCase();
  if (groups.count && groups.unit) {
    const count = COUNTS.get(groups.count.toLowerCase()) ?? Number(groups.count);
    return spanAgo(groups.unit.toLowerCase(), count, day, monday);
  }
  if (groups.deictic) {
    const shift = { yesterday: -1, today: 0, tomorrow: 1 }[groups.deictic.toLowerCase()] ?? 0;
    return onDay(addDays(day, shift), part);
  }
  if (groups.tonight) return onDay(day, 'night');
  if (groups.thisPart) return onDay(day, part);
  const relation = groups.relation?.toLowerCase();
  if (groups.weekday) {
    const target = WEEKDAYS.indexOf(groups.weekday.toLowerCase() as (typeof WEEKDAYS)[number]);
    // "Last Friday" said on a Saturday may be yesterday or the week before; only where the nearest
    // such day and that day of last (next, this) week coincide is the day certain.
    if (relation === 'last' && target >= weekday) return onDay(addDays(monday, target - 7), part);
    if (relation === 'next' && target <= weekday) return onDay(addDays(monday, target + 7), part);
    if (relation === 'this' && target >= weekday) return onDay(addDays(monday, target), part);
    return undefined;
  }
  const shift = relation === 'last' ? -1 : relation === 'next' ? 1 : 0;
  switch (groups.span?.toLowerCase()) {
    case 'night':
      return shift === 1 ? undefined : onDay(addDays(day, shift), 'night');
    case 'week':
      return { phrase: `the week of ${formatDay(addDays(monday, 7 * shift))}`, preposition: 'in' };
    case 'weekend':
      // "Next weekend" said on a Monday may be the coming one or the one after.
      return shift === 1 ? undefined : { phrase: `the weekend of ${formatDay(addDays(monday, 7 * shift + 5))}`, preposition: 'on' };
    case 'month':
      return { phrase: formatMonth(new Date(Date.UTC(said.getUTCFullYear(), said.getUTCMonth() + shift, 1))), preposition: 'in' };
    case 'year':
      return { phrase: String(said.getUTCFullYear() + shift), preposition: 'in' };
    case undefined:
      return undefined;
    default:
      // Which summer was last summer depends on the hemisphere; this summer is the one of this year.
      return shift === 0 ? { phrase: `the ${groups.span!.toLowerCase()} of ${said.getUTCFullYear()}`, preposition: 'in' } : undefined;
  }
}

function spanAgo(unit: string, count: number, day: number, monday: number): Resolved {
  const date = new Date(day);
  switch (unit) {
    case 'day':
      return onDay(addDays(day, -count));
    case 'week':
      return { phrase: `the week of ${formatDay(addDays(monday, -7 * count))}`, preposition: 'in' };
    case 'month':
      return { phrase: formatMonth(new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() - count, 1))), preposition: 'in' };
    default:
      return { phrase: String(date.getUTCFullYear() - count), preposition: 'in' };
  }
}

function onDay(day: number, part?: string): Resolved {
  return { phrase: part ? `the ${part} of ${formatDay(day)}` : formatDay(day), preposition: 'on' };
}

function addDays(day: number, days: number): number {
  const date = new Date(day);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + days);
}

function formatDay(day: number): string {
  const date = new Date(day);
  return `${date.getUTCDate()} ${formatMonth(date)}`;
}

/**
 * "In May 2023, caroline…" would be wrong and "In May 2023, The support group…" ugly: the first
 * letter is lowered only when the first word is a common word rather than a name or an acronym.
 */
export function withDatePrefix(sentence: string, date: Date): string {
  const firstWord = /^[A-Za-z]+/.exec(sentence)?.[0] ?? '';
  const lower = firstWord.length > 0 && firstWord !== 'I' && STOP_WORDS.has(firstWord.toLowerCase()) && !/^[A-Z]{2,}$/.test(firstWord);
  const body = lower ? sentence.charAt(0).toLowerCase() + sentence.slice(1) : sentence;
  return `In ${formatMonth(date)}, ${body}`;
}
