import { cachedStemWord } from '../text/cached-stem-word.js';
import { contentTerms } from '../text/content-terms.js';
import { contentWords } from '../text/content-words.js';
import { extractDateMentions } from './extract-date-mentions.js';
import type { IndexedMemory, MemoryIndex } from './memory-index.js';
import { recentMemories } from './recent-memories.js';

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
  const words = contentWords(message);
  const subject = new Set(words.map(cachedStemWord).filter((stem) => !TIME_STEMS.has(stem) && !SMALL_TALK_STEMS.has(stem)));
  if (subject.size === 0) return recentMemories(index, limit);
  const matches = index.search(message, limit);
  if (matches.length === 0) return recentMemories(index, limit);
  const aboutTime = words.some((word) => TIME_STEMS.has(cachedStemWord(word))) && extractDateMentions(message).mentions.length === 0;
  if (!aboutTime) return matches;
  const onSubject = (memory: M) => [...contentTerms(memory.content)].some((term) => subject.has(term));
  const chosen = new Set(matches.map((memory) => memory.id));
  return [
    ...matches.filter(onSubject),
    ...matches.filter((memory) => !onSubject(memory)),
    ...recentMemories(index, limit).filter((memory) => !chosen.has(memory.id)),
  ].slice(0, limit);
}
