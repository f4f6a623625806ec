import { cachedStemWord } from '../text/cached-stem-word.js';
import { contentTerms } from '../text/content-terms.js';
import { contentWords } from '../text/content-words.js';
import type { IndexedMemory, MemoryIndex } from './memory-index.js';
import { recentMemories } from './recent-memories.js';
import { readSearchQuery } from './search-query.js';

const stems = (words: string) => new Set(words.split(/\s+/).map(cachedStemWord));

/** Words that place a question in time relative to now ("lately", "this week", "these days", "what's new"). */
const TIME_STEMS = stems(`lately recently recent latest newest new news nowadays currently today tonight yesterday day
  days week weeks month months year years ago last past`);

/**
 * Words about the conversation rather than its subject: greetings, courtesy and the vague nouns and
 * verbs of "catch me up", "what's been happening", "tell me something".
 */
const SMALL_TALK_STEMS = stems(`hi hello hey hiya howdy greetings good morning afternoon evening thanks thank please okay
  sure tell remind catch update updates happen happening happened going done talk talked chat anything something
  everything stuff thing things lot`);

/**
 * The memories to attach to a conversation's context for the user's first message, best first.
 *
 * A message that asks for nothing in particular — only greetings, small talk and words of time
 * ("Hi! What have I been up to lately?", "Hello!", "?") — gets the user's most recent and most
 * significant memories (`recentMemories`), and so does one that shares no word with any memory.
 *
 * A message about time that also names a subject ("What did I do this week about the garden?")
 * is searched as it is, time words included, and its matches that have a word of the subject come
 * first, in the index's order, then the others (a memory that only says "this week"), then the
 * recent memories in the places left. The time words stay in the search: a memory saying
 * "recently" or "last week" is often the news asked about (on LoCoMo, searching without them loses
 * the evidence of 2 questions in 774). The matches are not reordered by age: a memory's date is when
 * it was told, not when what it tells happened ("we went there last year"), so ranking by it would
 * put any recently told story above the one asked about; recency takes only the places relevance
 * leaves. A message naming a date ("in May 2023") is about that date, which the index weighs.
 */
export function selectContextMemories<M extends IndexedMemory>(index: MemoryIndex<M>, message: string, limit: number): M[] {
  const query = readSearchQuery(message);
  // The subject is read from every word of the message, a date's included ("What happened in 2023?").
  const stems = query.mentions.length === 0 ? query.stems : contentWords(message).map(cachedStemWord);
  const subject = new Set(stems.filter((stem) => !TIME_STEMS.has(stem) && !SMALL_TALK_STEMS.has(stem)));
  if (subject.size === 0) return recentMemories(index, limit);
  const matches = index.search(query, limit);
  if (matches.length === 0) return recentMemories(index, limit);
  const aboutTime = query.mentions.length === 0 && stems.some((stem) => TIME_STEMS.has(stem));
  if (!aboutTime) return matches;
  const onSubject = matches.map((memory) => [...termsOf(memory)].some((term) => subject.has(term)));
  const chosen = new Set(matches.map((memory) => memory.id));
  return [
    ...matches.filter((_, i) => onSubject[i]),
    ...matches.filter((_, i) => !onSubject[i]),
    ...recentMemories(index, limit).filter((memory) => !chosen.has(memory.id)),
  ].slice(0, limit);
}

/** Each memory's terms, once: the rows the hot tier holds come back in answer after answer. */
const memoryTerms = new WeakMap<IndexedMemory, ReadonlySet<string>>();

function termsOf(memory: IndexedMemory): ReadonlySet<string> {
  let terms = memoryTerms.get(memory);
  if (terms === undefined) {
    terms = contentTerms(memory.content);
    memoryTerms.set(memory, terms);
  }
  return terms;
}
