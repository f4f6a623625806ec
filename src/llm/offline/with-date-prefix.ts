import { formatMonth } from './format-month.js';
import { STOP_WORDS } from '../../text/stop-words.js';

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
