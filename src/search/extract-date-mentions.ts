import type { DateMention } from './date-mention.js';

const MONTH_NUMBERS: ReadonlyMap<string, number> = new Map(
  [
    ['january', 'jan'], ['february', 'feb'], ['march', 'mar'], ['april', 'apr'], ['may', 'may'], ['june', 'jun'],
    ['july', 'jul'], ['august', 'aug'], ['september', 'sep', 'sept'], ['october', 'oct'], ['november', 'nov'], ['december', 'dec'],
  ].flatMap((names, month) => names.map((name) => [name, month] as const)),
);

const MONTH = '(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\\.?';
const DAY = '(\\d{1,2})(?:st|nd|rd|th)?(?!\\d)';
const YEAR = '((?:19|20)\\d{2})(?!\\d)';

/** A cheap first look: most queries name no date, and the patterns below cost more. */
const MIGHT_NAME_A_DATE =
  /\d|\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b/i;

/**
 * Patterns tried in turn, each over what the previous ones left. A month name alone counts only
 * when it cannot be a word ("may", "march") or follows a word that introduces a time ("in May").
 */
const PATTERNS: readonly { regex: RegExp; read: (groups: readonly (string | undefined)[]) => DateMention }[] = [
  {
    regex: new RegExp(`\\b${DAY}\\s+(?:of\\s+)?${MONTH}(?:,?\\s+${YEAR})?`, 'giu'),
    read: (m) => ({ day: Number(m[1]), month: monthOf(m[2]), year: yearOf(m[3]) }),
  },
  {
    regex: new RegExp(`\\b${MONTH}\\s+${DAY}(?:,?\\s+${YEAR})?`, 'giu'),
    read: (m) => ({ day: Number(m[2]), month: monthOf(m[1]), year: yearOf(m[3]) }),
  },
  { regex: new RegExp(`\\b${MONTH},?\\s+(?:of\\s+)?${YEAR}`, 'giu'), read: (m) => ({ day: null, month: monthOf(m[1]), year: yearOf(m[2]) }) },
  {
    regex: new RegExp(`\\b(?:in|during|since|until|till|by|early|late|mid|last|next|this|of)[\\s-]+${MONTH}\\b`, 'giu'),
    read: (m) => ({ day: null, month: monthOf(m[1]), year: null }),
  },
  {
    regex: /\b(january|february|april|june|july|august|september|october|november|december)\b/giu,
    read: (m) => ({ day: null, month: monthOf(m[1]), year: null }),
  },
  { regex: new RegExp(`\\b${YEAR}\\b`, 'gu'), read: (m) => ({ day: null, month: null, year: yearOf(m[1]) }) },
];

/**
 * The dates a query names ("on 3 June, 2023", "in May 2023", "last August", "in 2022"), and the
 * query with them taken out, so that "may" or "2023" are not also searched for as words.
 */
export function extractDateMentions(text: string): { text: string; mentions: DateMention[] } {
  if (!MIGHT_NAME_A_DATE.test(text)) return { text, mentions: [] };
  const mentions: DateMention[] = [];
  let rest = text;
  for (const { regex, read } of PATTERNS) {
    rest = rest.replace(regex, (whole: string, ...after: unknown[]) => {
      // After the groups come the offset and the whole string.
      const mention = read([whole, ...after.slice(0, -2).map((group) => (typeof group === 'string' ? group : undefined))]);
      if (mention.day !== null && (mention.day < 1 || mention.day > 31)) return whole;
      mentions.push(mention);
      return ' ';
    });
  }
  return { text: rest, mentions };
}

function monthOf(name: string | undefined): number | null {
  return name === undefined ? null : (MONTH_NUMBERS.get(name.toLowerCase()) ?? null);
}

function yearOf(digits: string | undefined): number | null {
  return digits === undefined ? null : Number(digits);
}
