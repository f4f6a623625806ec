import { contentWords } from './content-words.js';
import { stemWord } from './stem-word.js';

/** The distinct stemmed content words of a text: what it is about, for weighing, matching and de-duplication. */
export function contentTerms(text: string): Set<string> {
  return new Set(contentWords(text).map(stemWord));
}
