import { STOP_WORDS } from '../../text/stop-words.js';

/**
 * A memory as MCP clients often write it, in the user's voice ("I love sailing", "My sister Ana
 * moved to Lisbon"), turned into the narrative's third person where the rewrite is certain
 * ("Dana loves sailing", "Dana's sister Ana moved to Lisbon"). The first mention of the user in a
 * sentence is their name (or "the user"), later ones are singular "they", "them", "their",
 * "themselves". What cannot be rewritten with certainty — "we" and "our" (who else is meant?), a
 * verb whose tense cannot be told ("I read", "I quit"), "I'd" before anything but a few verbs, a
 * question — is left for the caller to quote as the user's words.
 */

/** Words that may stand between "I" and its verb: "I really enjoy" → "Dana really enjoys". */
const ADVERBS = new Set(
  `also always never usually often sometimes really still just only rarely generally mostly actually
  definitely finally recently currently normally typically already even truly absolutely totally
  honestly occasionally seldom hardly barely probably certainly now then ever frequently regularly
  constantly simply mainly largely strongly deeply particularly especially sincerely genuinely
  secretly desperately badly`.split(/\s+/),
);

/** Verbs that are the same in every person: modals, and forms that are already past. */
const UNCHANGED = new Set(
  `will would can could should might must may shall won't wouldn't can't cannot couldn't shouldn't
  mightn't mustn't didn't was wasn't were weren't had hadn't did ought used
  went got ran came saw took made gave found told thought bought brought caught taught felt left kept
  slept met paid said sent spent stood understood won sold sang swam wrote drove rode ate fell flew
  grew knew threw wore tore broke chose spoke froze woke began drank rang sank became forgot heard
  held led lost meant built lent bent hung dug fought sought stuck struck shook forgave rose fed fled
  bled bit hid lit slid sat stole swore sprang sent spun stung swung taught wept wound drew`.split(/\s+/),
);

/** Verbs whose present and past are spelled alike: "I read" may be either, so it is quoted. */
const AMBIGUOUS_TENSE = new Set(
  `read put cut set hit let quit hurt cost shut bet spread cast burst split fit thrust broadcast forecast
  upset beat bid rid shed wed`.split(/\s+/),
);

/** After "I'd": "I'd like" is "would like"; "I'd" before a past participle is "had". */
const WOULD_VERBS = new Set(['like', 'love', 'rather', 'prefer', 'hate', 'enjoy', 'say', 'want']);
const PAST_PARTICIPLES = new Set(
  `been gone done seen had made given found told thought bought brought caught taught felt left kept
  met paid said sent spent known written driven eaten fallen flown grown thrown worn broken chosen
  spoken frozen begun forgotten heard held lost meant built never already just always`.split(/\s+/),
);

/** Verbs of belief and speech: a "we" or "us" after them is generic ("believes nature calms us"). */
const REPORTING_VERBS =
  /\b(?:believes?|believed|thinks?|thought|feels?|felt|says?|said|mentions?|mentioned|acknowledges?|acknowledged|values?|valued|knows?|knew|notes?|noted|explains?|explained|shares?|shared|agrees?|agreed|expresses|expressed|emphasi[sz]es|emphasi[sz]ed|reali[sz]es|reali[sz]ed|reminds?|reminded|appreciates?|appreciated)\b/i;

const PLURAL_FIRST_PERSON = /\b(?:[Ww]e|[Oo]urs?|[Oo]urselves|us|Us)\b/;
const FIRST_PERSON = /\b(?:I(?:['’](?:m|ve|ll|d))?|[Mm]e|[Mm]y|[Mm]ine|[Mm]yself)\b(?!-)/g;
const QUOTED = /“[^”]*”|"[^"]*"/g;

/**
 * The sentence in the third person, the sentence itself when it does not speak in the first
 * person, or `undefined` when it does and the rewrite would not be certain.
 */
export function inThirdPerson(sentence: string, subject: string): string | undefined {
  const quoted = [...sentence.matchAll(QUOTED)].map((match) => [match.index, match.index + match[0].length] as const);
  const inQuote = (index: number): boolean => quoted.some(([start, end]) => index >= start && index < end);
  const unquoted = sentence.replace(QUOTED, (text) => ' '.repeat(text.length));

  const plural = PLURAL_FIRST_PERSON.exec(unquoted);
  if (plural && !REPORTING_VERBS.test(unquoted.slice(0, plural.index))) return undefined;
  const matches = [...sentence.matchAll(FIRST_PERSON)].filter((match) => !inQuote(match.index));
  if (matches.length === 0) return sentence;
  if (/[?]["'”’)\]]*$/.test(sentence.trim())) return undefined;
  // "My partner and I are…": the user is one of several, as with "we".
  if (/\b(?:and|or|nor) (?:I(?:['’](?:ve|re))? (?:are|were|have)\b|I['’](?:ve|re)|me\b)|\b(?:I|[Mm]e) (?:and|or)\b/.test(unquoted)) return undefined;

  let out = '';
  let from = 0;
  let mentioned = false;
  for (const match of matches) {
    out += sentence.slice(from, match.index);
    const opens = /^[\s"“‘'(]*$/.test(out) || /[.!?…]["'”’)\]]*\s+$/.test(out);
    const word = match[0].replace('’', "'");
    const lower = word.toLowerCase();
    const name = opens ? capitalise(subject) : subject;
    const pronoun = (text: string): string => (opens ? capitalise(text) : text);
    let replacement: string;
    let consumed = 0;
    if (lower === 'me') replacement = mentioned ? pronoun('them') : name;
    else if (lower === 'my' || lower === 'mine') replacement = mentioned ? pronoun(lower === 'my' ? 'their' : 'theirs') : possessive(name);
    else if (lower === 'myself') {
      if (!mentioned) return undefined;
      replacement = pronoun('themselves');
    } else {
      const agreed = subjectWithVerb(word, sentence.slice(match.index + match[0].length), mentioned);
      if (!agreed) return undefined;
      replacement = `${mentioned ? pronoun('they') : name}${agreed.text}`;
      consumed = agreed.consumed;
    }
    out += replacement;
    from = match.index + match[0].length + consumed;
    mentioned = true;
  }
  return out + sentence.slice(from);
}

/**
 * What follows "I" once the subject is the user's name (third person singular) or, with `they`, "they":
 * the verb agreed with it, and how many characters of `rest` that replaces.
 */
function subjectWithVerb(word: string, rest: string, they: boolean): { text: string; consumed: number } | undefined {
  const contraction = word.slice(1);
  if (contraction === "'m") return { text: they ? ' are' : ' is', consumed: 0 };
  if (contraction === "'ve") return { text: they ? ' have' : ' has', consumed: 0 };
  if (contraction === "'ll") return { text: ' will', consumed: 0 };
  if (contraction === "'d") {
    const next = /^\s+([a-z]+)/.exec(rest)?.[1];
    if (next === undefined) return undefined;
    if (WOULD_VERBS.has(next)) return { text: ' would', consumed: 0 };
    if (PAST_PARTICIPLES.has(next) || /ed$/.test(next)) return { text: ' had', consumed: 0 };
    return undefined;
  }
  let text = '';
  for (let offset = 0; ; ) {
    const next = /^\s+([a-z]+(?:['’]t)?)\b/.exec(rest.slice(offset));
    if (!next) return undefined;
    const [spaced, asWritten] = next as unknown as [string, string];
    offset += spaced.length;
    if (ADVERBS.has(asWritten)) {
      text += spaced;
      continue;
    }
    const agreed = agree(asWritten.replace('’', "'"), they);
    if (agreed === undefined) return undefined;
    return { text: text + spaced.slice(0, spaced.length - asWritten.length) + agreed, consumed: offset };
  }
}

const NAME_FORMS: Record<string, string> = { am: 'is', have: 'has', "haven't": "hasn't", do: 'does', "don't": "doesn't" };
const THEY_FORMS: Record<string, string> = { am: 'are', was: 'were', "wasn't": "weren't" };

/** The verb after "I" agreed with the name (third person singular) or with "they", if that is certain. */
function agree(verb: string, they: boolean): string | undefined {
  const forms = they ? THEY_FORMS : NAME_FORMS;
  if (forms[verb] !== undefined) return forms[verb];
  if (UNCHANGED.has(verb) || (/ed$/.test(verb) && !/eed$/.test(verb))) return verb;
  if (they && ['have', 'do', "don't", "haven't"].includes(verb)) return verb;
  if (!/^[a-z]+$/.test(verb) || STOP_WORDS.has(verb)) return undefined;
  // "They read" is right in either tense; "Dana read" or "Dana reads" would be a guess.
  if (they) return verb;
  return AMBIGUOUS_TENSE.has(verb) ? undefined : thirdPersonSingular(verb);
}

/** "love" → "loves", "watch" → "watches", "study" → "studies", "go" → "goes". */
export function thirdPersonSingular(verb: string): string {
  if (verb === 'have') return 'has';
  if (/(?:s|x|z|ch|sh|o)$/.test(verb)) return `${verb}es`;
  if (/[^aeiou]y$/.test(verb)) return `${verb.slice(0, -1)}ies`;
  return `${verb}s`;
}

function possessive(name: string): string {
  return /s$/.test(name) ? `${name}'` : `${name}'s`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The user's words quoted as theirs: `Dana said: “We adopted a dog named Rex.”` */
export function quotedAsSaid(sentence: string, subject: string): string {
  return `${capitalise(subject)} said: “${sentence}”`;
}
