import { STOP_WORDS } from '../../text/stop-words.js';

const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
] as const;

const RELATIVE_TIME =
  /\b(?:recently|lately|yesterday|today|tonight|tomorrow|ago|currently|soon|upcoming|(?:last|next|this|previous|coming|past|the other)\s+(?:day|night|week|weekend|month|year|summer|winter|spring|fall|autumn|semester|season|monday|tuesday|wednesday|thursday|friday|saturday|sunday|few\s+\w+|couple\s+of\s+\w+))\b/i;

/** "May 2023", in UTC so that the same memories read the same on every server. */
export function formatMonth(date: Date): string {
  return `${MONTHS[date.getUTCMonth()] ?? ''} ${date.getUTCFullYear()}`;
}

/** Whether a sentence speaks of time relative to when it was said, so that its date helps the reader. */
export function mentionsRelativeTime(text: string): boolean {
  return RELATIVE_TIME.test(text);
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
