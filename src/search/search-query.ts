import { cachedStemWord } from '../text/cached-stem-word.js';
import { contentWords } from '../text/content-words.js';
import type { DateMention } from './date-mention.js';
import { extractDateMentions } from './extract-date-mentions.js';

/** A query read once for a search: the dates it names, and the words and stems of the rest. */
export interface SearchQuery {
  /** The query as written. */
  readonly text: string;
  readonly mentions: readonly DateMention[];
  /** The content words of the query with its dates taken out, and their stems, in order. */
  readonly words: readonly string[];
  readonly stems: readonly string[];
}

export function readSearchQuery(text: string): SearchQuery {
  const { text: rest, mentions } = extractDateMentions(text);
  const words = contentWords(rest);
  return { text, mentions, words, stems: words.map(cachedStemWord) };
}
