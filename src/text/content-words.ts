import { STOP_WORDS } from './stop-words.js';

const WORD = /[\p{L}\p{N}]+/gu;

/** The lower-cased words of a text that carry meaning: no stop words, nothing shorter than 3 letters. */
export function contentWords(text: string): string[] {
  const words = text.toLowerCase().match(WORD) ?? [];
  // Kept in place: this runs for every memory indexed and every query, and a second array is garbage at once.
  let kept = 0;
  for (const word of words) if (word.length >= 3 && !STOP_WORDS.has(word)) words[kept++] = word;
  words.length = kept;
  return words;
}
