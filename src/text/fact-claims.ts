import { cachedStemWord } from './cached-stem-word.js';
import { contentTerms } from './content-terms.js';
import { STOP_WORDS } from './stop-words.js';

/** The person every memory is about, whatever name or pronoun a memory calls them by. */
export const SELF = 'self';

/**
 * What a sentence says about one attribute of someone that holds a single value at a time (where
 * they live, their job, their partner, their name, a favourite) or about their liking of something.
 * Two claims about the same holder and slot that disagree cannot both be true now.
 */
export interface FactClaim {
  /** `self`, a lower-cased name, or someone of theirs (`self's sister`). */
  holder: string;
  /** `home`, `job`, `partner`, `name`, `favourite <thing>` or `liking`. */
  slot: string;
  /** The value's stemmed content words; empty when the sentence says the value ended (quit a job, broke up). */
  value: ReadonlySet<string>;
  /** For `liking`: whether the holder likes the thing (the value) or no longer does. */
  likes?: boolean;
}

const SUBJECT = String.raw`\b(?<holder>(?:\p{Lu}\p{Ll}+ and )?I|[Ww]e|[Hh]e|[Ss]he|[Tt]hey|[Tt]he user|(?:[Mm]y|[Hh]is|[Hh]er|[Tt]heir|\p{Lu}\p{Ll}+'s) [a-z]+|\p{Lu}\p{Ll}+)`;
const POSSESSOR = String.raw`\b(?<holder>[Mm]y|[Hh]is|[Hh]er|[Tt]heir|[Tt]he user's|\p{Lu}\p{Ll}+'s)`;
/** Contractions, auxiliaries and adverbs that may stand between a subject and its verb. */
const LINK = String.raw`(?:'(?:m|s|ve|re|d)\s+|\s+)(?:(?:has|have|had|is|am|are|was|were|just|now|recently|finally|currently|still|also|officially|actually|already|then|eventually|since)\s+)*`;
const BOUNDARY = String.raw`(?=\s+(?:for|because|since|with|and|but|after|before|when|where|while|who|which|to|last|this|next|so|until|from|on|now|anymore|any more|again|in \d)\b|\s*[.,;:!?()"]|$)`;
const JOB_BOUNDARY = String.raw`(?=\s+(?:for|because|since|with|and|but|after|before|when|where|while|who|which|to|last|this|next|so|until|now|anymore|again|in \d)\b|\s*[.,;:!?()"]|$)`;
const VALUE = String.raw`(?<value>[^.,;:!?()"]+?)`;
const NAME = String.raw`(?<value>\p{Lu}\p{Ll}+(?: \p{Lu}\p{Ll}+)?)`;
const PARTNER = String.raw`(?:girlfriend|boyfriend|partner|husband|wife|fianc[ée]e?|spouse)`;

interface ClaimRule {
  slot: string;
  pattern: RegExp;
  /** The sentence says the value ended rather than naming one. */
  ended?: boolean;
  likes?: boolean;
  /** The value must name something (a capitalised word): "moved to Berlin", not "moved to tears". */
  proper?: boolean;
  /** The value is a person's name, compared word for word however short ("Jo"). */
  name?: boolean;
}

const rule = (slot: string, source: string, options: Omit<ClaimRule, 'slot' | 'pattern'> = {}): ClaimRule => ({
  slot,
  pattern: new RegExp(source, 'gu'),
  ...options,
});

/**
 * General English ways of stating these facts; never words of a particular user. Only the present
 * and what just happened count: "lived in Paris as a student" says nothing about where they live now.
 */
const RULES: readonly ClaimRule[] = [
  rule('home', String.raw`${SUBJECT}${LINK}(?:live|lives|living|reside|resides|residing|settled|based|settling) in ${VALUE}${BOUNDARY}`, { proper: true }),
  rule('home', String.raw`${SUBJECT}${LINK}(?:moved|relocated|moved back|moved house|moved away)(?: from [^.,;:!?]+?)? to ${VALUE}${BOUNDARY}`, { proper: true }),
  rule('home', String.raw`${SUBJECT}${LINK}(?:made|make|makes) (?:my|his|her|their) home in ${VALUE}${BOUNDARY}`, { proper: true }),

  rule('job', String.raw`${SUBJECT}${LINK}(?:work|works|working) (?:as|at|for) ${VALUE}${JOB_BOUNDARY}`),
  rule(
    'job',
    String.raw`${SUBJECT}${LINK}(?:started|starts|got|took|accepted|landed|began|begun|found|has|have) (?:a |an |the |my |his |her |their )?(?:new )?(?:job|position|role) (?:as|at|with) ${VALUE}${JOB_BOUNDARY}`,
  ),
  rule('job', String.raw`${SUBJECT}${LINK}(?:got |been |was |were )?(?:hired|employed) (?:as|at|by) ${VALUE}${JOB_BOUNDARY}`),
  rule('job', String.raw`${SUBJECT}${LINK}(?:quit|left|lost) (?:my|his|her|their) (?:job|position|role)`, { ended: true }),
  rule('job', String.raw`${SUBJECT}${LINK}(?:got |been |was |were )?(?:laid off|fired|let go|made redundant)`, { ended: true }),
  rule('job', String.raw`${SUBJECT}${LINK}(?:unemployed|out of work|between jobs|retired)`, { ended: true }),

  rule('partner', String.raw`${SUBJECT}${LINK}(?:dating|seeing|going out with|engaged to|married to|in a relationship with|moved in with) ${NAME}`, { name: true }),
  rule('partner', String.raw`${POSSESSOR} (?:new )?${PARTNER}(?:,| is| named| called)? ${NAME}`, { name: true }),
  rule('partner', String.raw`${SUBJECT}${LINK}(?:broke up|broken up|split up|separated|divorced|single)`, { ended: true }),
  rule('partner', String.raw`${SUBJECT}${LINK}(?:ended|called off) (?:things|it|the relationship|(?:our|the|their|his|her|my) (?:relationship|engagement|marriage))`, { ended: true }),

  rule('name', String.raw`${POSSESSOR} (?:new |legal |real )?name is (?:now )?${NAME}`, { name: true }),
  rule('name', String.raw`${SUBJECT}${LINK}(?:go by|goes by|going by|called|changed (?:my|his|her|their) name to|prefers? to be called) ${NAME}`, { name: true }),
  rule('name', String.raw`(?<holder>[Cc]all me) ${NAME}`, { name: true }),

  rule('favourite', String.raw`${POSSESSOR} (?:all-time |new )?favou?rite (?<thing>[a-z]+(?: [a-z]+)?) (?:is|are) (?:now )?${VALUE}${BOUNDARY}`),

  rule(
    'liking',
    String.raw`${SUBJECT}${LINK}(?:love|loves|like|likes|enjoy|enjoys|adore|adores|into|a (?:big |huge )?fan of|passionate about|prefer|prefers) ${VALUE}${BOUNDARY}`,
    { likes: true },
  ),
  rule(
    'liking',
    String.raw`${SUBJECT}${LINK}(?:hate|hates|dislike|dislikes|(?:do|does|did) not (?:like|enjoy|love)|(?:don't|doesn't|didn't) (?:like|enjoy|love)|no longer (?:like|likes|enjoy|enjoys|love|loves|eat|eats|drink|drinks|play|plays|into|a (?:big |huge )?fan of)|not (?:into|a (?:big |huge )?fan of)|(?:can't|cannot|can not) stand|tired of|sick of|gave up|given up|(?:stopped|quit)(?= [a-z]+ing\b)|went off|gone off) ${VALUE}${BOUNDARY}`,
    { likes: false },
  ),
];

/**
 * The fact claims of one sentence. `selfNames` are the lower-cased names of the person the memories
 * are about: a claim about them is a claim about `self`, as one in the first person is.
 */
export function factClaims(sentence: string, selfNames: ReadonlySet<string>): FactClaim[] {
  const claims: FactClaim[] = [];
  const text = sentence.replace(/[‘’]/g, "'");
  for (const { slot, pattern, ended, likes, proper, name } of RULES) {
    for (const match of text.matchAll(pattern)) {
      const groups = match.groups ?? {};
      const holder = holderOf(groups['holder'] ?? '', selfNames);
      if (holder === undefined) continue;
      const valueText = groups['value'] ?? '';
      if (proper && !/(?:^|\s)\p{Lu}/u.test(valueText)) continue;
      const value = ended ? new Set<string>() : name ? new Set(valueText.toLowerCase().split(' ')) : contentTerms(valueText);
      if (!ended && value.size === 0) continue;
      const thing = groups['thing'];
      claims.push({
        holder,
        slot: thing ? `${slot} ${[...contentTerms(thing)].join(' ')}` : slot,
        value,
        ...(likes === undefined ? {} : { likes }),
      });
    }
  }
  return claims;
}

/** `self`, a person by name, or someone of theirs; undefined for what names no one. */
function holderOf(raw: string, selfNames: ReadonlySet<string>): string | undefined {
  const text = raw.toLowerCase();
  const person = (name: string): string => (selfNames.has(name) || PRONOUNS.has(name) ? SELF : name);
  if (/^(?:call me|the user|the user's)$/.test(text) || /(?:^| and )i$/.test(text)) return SELF;
  const possessive = /^(?:(my|his|her|their|the user's)|(\p{Ll}+)'s)(?: (\p{Ll}+))?$/u.exec(text);
  if (possessive) {
    const [, determiner, name, possessed] = possessive;
    if (possessed !== undefined && STOP_WORDS.has(possessed)) return undefined;
    const owner = determiner ? SELF : person(name!);
    return possessed ? `${owner}'s ${cachedStemWord(possessed)}` : owner;
  }
  if (!/^\p{Ll}+$/u.test(text) || NOT_A_PERSON.has(text)) return undefined;
  return person(text);
}

/** Pronouns in a memory about a user almost always mean that user. */
const PRONOUNS: ReadonlySet<string> = new Set(['i', 'we', 'he', 'she', 'they', 'user']);

/** Capitalised words that open a sentence without naming anyone. */
const NOT_A_PERSON: ReadonlySet<string> = new Set(
  `today yesterday tonight recently lately now then later also still currently finally eventually
  everyone everybody someone somebody nobody it this that there here these those what which who`.split(/\s+/),
);
