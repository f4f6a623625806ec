import { stem } from 'porter2';
import { metricWords } from './metric-words.js';

const MONTH = '(?:January|February|March|April|May|June|July|August|September|October|November|December)';
const PART = '(?:week|weekend|night|morning|afternoon|evening|summer|winter|spring|autumn|fall)';

/**
 * Dates as a writer states them ("In May 2023,", "in the week of 26 June 2023", "around 2020",
 * "(said in July 2023)"): a writer may date what a memory says relative to when it was said, so the
 * words of a date are not asked of the memory.
 */
const DATE_PHRASE = new RegExp(
  String.raw`\(?\bsaid in ${MONTH} \d{4}\)?` +
    String.raw`|\b(?:(?:in|on|around|since|until|by|for|from|during)\s+)?(?:the ${PART} of )?(?:\d{1,2} )?(?:${MONTH} )?\d{4}\b`,
  'gi',
);

/**
 * Words that frame a sentence rather than state a fact ("The user said: “…”"), and the auxiliary
 * a writer needs to tell in the third person what the user said in the first ("I'd like" → "would like").
 */
const FRAMING = new Set(['said', 'user', 'would']);

/**
 * Whether a narrative sentence is supported by one memory: every content word of the sentence (as
 * the event coverage counts them, compared by Snowball stem, a final -s or -es aside), once its dates
 * and the user's names are set aside, is found in that one memory. A sentence that joins two
 * memories, adds a word no memory has, or quotes what was never said is not supported.
 */
export function isSupported(sentence: string, memoryStems: readonly ReadonlySet<string>[], userNames: readonly string[]): boolean {
  const names = new Set(userNames.map((name) => name.toLowerCase()));
  const words = metricWords(sentence.replace(DATE_PHRASE, ' ')).filter((word) => !names.has(word) && !FRAMING.has(word));
  if (words.length === 0) return true;
  return memoryStems.some((stems) => words.every((word) => forms(word).some((form) => stems.has(form))));
}

/** The stems a memory offers, for `isSupported`: of all its words, so that "goes" finds "go". */
export function memoryStems(memory: string): Set<string> {
  return new Set((memory.toLowerCase().match(/[a-z0-9]+/g) ?? []).flatMap(forms));
}

function forms(word: string): string[] {
  const bare = word.replace(/(?:(?<=(?:s|x|z|ch|sh|o))es|s)$/, '');
  return bare === word || bare.length < 2 ? [stem(word)] : [stem(word), stem(bare)];
}

/** The sentences no single memory supports (see `isSupported`). */
export function unsupportedSentences(sentences: readonly string[], memories: readonly string[], userNames: readonly string[]): string[] {
  const stems = memories.map(memoryStems);
  return sentences.filter((sentence) => !isSupported(sentence, stems, userNames));
}
