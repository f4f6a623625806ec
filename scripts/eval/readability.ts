import { outsideQuotes } from './narrative-sentences.js';

export type ReadabilityProblem = 'dangling_time' | 'fragment' | 'first_person';

export interface ReadabilityViolation {
  problem: ReadabilityProblem;
  sentence: string;
}

const MONTH = '(?:January|February|March|April|May|June|July|August|September|October|November|December)';
const WEEKDAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const SPAN = `(?:day|night|week|weekend|month|year|summer|winter|spring|autumn|fall|semester|season|${WEEKDAY}|few \\w+|couple of \\w+)`;

/**
 * A time said relative to the moment of speaking: meaningless in a narrative read later unless the
 * sentence says when it was said. "Now" is left out: it is everywhere and seldom misleads.
 */
const RELATIVE_TIME = new RegExp(
  String.raw`\b(?:\w+ (?:days?|weeks?|months?|years?) ago|ago` +
    String.raw`|yesterday|today|tomorrow|tonight|this (?:morning|afternoon|evening)` +
    String.raw`|(?:last|next|this|past|coming|previous) ${SPAN}` +
    String.raw`|the other day|over the weekend|recently|lately|currently|soon|nowadays|these days)\b`,
  'gi',
);

/** A word before the phrase that makes it part of something else: "the last year of college", "the next day". */
const NOT_RELATIVE_AFTER = /\b(?:the|a|an|my|his|her|their|our|your|its|that|every|each|whose)\s+$/i;

/** Says when it was said: "(said in July 2023)" or "In July 2023, Dana said: …". */
const TIME_OF_SAYING = new RegExp(String.raw`\bsaid in ${MONTH} \d{4}\b|^In ${MONTH} \d{4}, [^“"]*\bsaid\b`);

const SINGULAR_FIRST_PERSON = /\bI\b|\b(?:[Mm]e|[Mm]y|[Mm]ine|[Mm]yself)\b(?!-)/;
const PLURAL_FIRST_PERSON = /\b(?:[Ww]e|[Oo]urs?|[Oo]urselves|us|Us)\b/;
/** A verb of belief or speech: a "we" after it is reported, generic speech ("believes nature calms us"). */
const REPORTING_VERB =
  /\b(?:believes?|believed|thinks?|thought|feels?|felt|says?|said|mentions?|mentioned|acknowledges?|acknowledged|values?|valued|knows?|knew|notes?|noted|explains?|explained|shares?|shared|agrees?|agreed|expresses|expressed|emphasi[sz]es|emphasi[sz]ed|realizes|realized|finds|found|reminds?|reminded|appreciates?|appreciated|shows?|showing|sees)\b/i;

/**
 * What would trip a reader of a narrative, sentence by sentence:
 * - `dangling_time`: a time relative to when it was said ("three years ago", "last week",
 *   "recently") in a sentence that does not say when that was ("said in June 2023"), so that it
 *   reads as relative to another date the sentence states, or to the day it is read;
 * - `fragment`: fewer than four words, but for three words opening with the user's name
 *   ("Dana loves sailing.");
 * - `first_person`: "I", "me", "my", "mine" or "myself" in the narrative's own voice (outside
 *   double quotes), or "we", "us", "our" outside quotes and not reported after a verb of belief or
 *   speech ("believes nature calms us" is fine).
 */
export function readabilityViolations(sentences: readonly string[], userNames: readonly string[]): ReadabilityViolation[] {
  const names = new Set(userNames.map((name) => name.toLowerCase()));
  const violations: ReadabilityViolation[] = [];
  for (const sentence of sentences) {
    const own = outsideQuotes(sentence);
    if (hasRelativeTime(sentence) && !TIME_OF_SAYING.test(sentence)) violations.push({ problem: 'dangling_time', sentence });
    if (isFragment(sentence, names)) violations.push({ problem: 'fragment', sentence });
    if (speaksInFirstPerson(own)) violations.push({ problem: 'first_person', sentence });
  }
  return violations;
}

function hasRelativeTime(sentence: string): boolean {
  for (const match of sentence.matchAll(RELATIVE_TIME)) {
    if (!NOT_RELATIVE_AFTER.test(sentence.slice(0, match.index))) return true;
  }
  return false;
}

function isFragment(sentence: string, names: ReadonlySet<string>): boolean {
  const words = sentence.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word));
  if (words.length >= 4) return false;
  const first = words[0]?.replace(/[^\p{L}]/gu, '').toLowerCase();
  return !(words.length === 3 && first !== undefined && names.has(first));
}

function speaksInFirstPerson(own: string): boolean {
  if (SINGULAR_FIRST_PERSON.test(own)) return true;
  const plural = PLURAL_FIRST_PERSON.exec(own);
  return plural !== null && !REPORTING_VERB.test(own.slice(0, plural.index));
}
