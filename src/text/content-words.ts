import { STOP_WORDS } from './stop-words.js';

/** The lower-cased words of a text that carry meaning: no stop words, nothing shorter than 3 letters. */
export function contentWords(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return words.filter((word) => word.length >= 3 && !STOP_WORDS.has(word));
}
