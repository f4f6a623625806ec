/** The narrative's sections, in the order they are written. */
export const NARRATIVE_SECTIONS = [
  { id: 'identity', heading: 'Who they are' },
  { id: 'people', heading: 'People in their life' },
  { id: 'work', heading: 'Work and projects' },
  { id: 'interests', heading: 'Interests and activities' },
  { id: 'recent', heading: 'Latest events' },
  { id: 'goals', heading: 'Goals and plans' },
] as const;

export type SectionId = (typeof NARRATIVE_SECTIONS)[number]['id'];

function words(list: string): ReadonlySet<string> {
  return new Set(list.split(/\s+/).filter(Boolean));
}

/**
 * General English words (matched on lower-cased whole words) and phrases that point a sentence to a
 * section. They describe kinds of statements, never a particular user. When a sentence matches none,
 * it says who the user is.
 */
const SECTION_LEXICONS: Record<Exclude<SectionId, 'recent' | 'identity'>, { words: ReadonlySet<string>; phrases: RegExp }> = {
  people: {
    words: words(`family families friend friends friendship friendships partner partners husband wife
      spouse boyfriend girlfriend fiance fiancee married marriage wedding mom mum mother mothers dad
      father fathers parent parents son sons daughter daughters kid kids child children baby babies
      brother brothers sister sisters sibling siblings grandmother grandma grandfather grandpa
      grandparents grandchildren aunt uncle cousin cousins niece nephew relatives mentor mentors mentee
      neighbor neighbors neighbour neighbours roommate roommates buddy buddies pal pals dog dogs puppy
      cat cats kitten pet pets`),
    phrases: /\b(?:spent time with|hung out with|got together with)\b/i,
  },
  work: {
    words: words(`job jobs work works worked working workplace career careers project projects business
      businesses company companies startup startups office boss manager colleague colleagues coworker
      coworkers team teams client clients customer customers employer employee employees hired
      promotion promoted salary interview interviews internship intern profession professional
      industry entrepreneur store shop school schools college university class classes course courses
      study studies studying student students degree exam exams homework assignment assignments
      teacher teaching education research thesis training certification volunteer volunteering
      volunteered nonprofit organization charity campaign product products launch launched deadline
      deadlines meeting meetings conference presentation contract deal investors shift shifts
      workshop`),
    phrases: /\b(?:side hustle|day job|full[- ]time|part[- ]time)\b/i,
  },
  interests: {
    words: words(`hobby hobbies enjoy enjoys enjoyed enjoying fan fans favorite
      favourite favorites passion passionate loves play plays played playing game games gaming sport sports
      paint paints painted painting paintings draw drawing drawings art arts artist music musician song
      songs sing singing guitar piano violin drums band concert concerts dance dancing book books
      reading read reads novel novels movie movies film films series hike hikes hiking
      camping camp trail trails run runs running jog jogging swim swimming yoga gym workout fitness
      cook cooking cooked recipe recipes bake baking garden gardening travel traveling travelling trip
      trips beach photography photos photo pottery craft crafts knitting collect collects collection
      fishing surfing skiing cycling biking bike basketball football soccer tennis baseball golf chess
      volleyball climbing boxing karate taekwondo martial instrument poetry poems writing party parties festival festivals`),
    phrases: /\b(?:free time|spare time|for fun|in (?:his|her|their) (?:free|spare) time)\b/i,
  },
  goals: {
    words: words(`plan plans planning goal goals dream dreams hope hopes hoping want wants aim aims aiming
      aspire aspires aspiration aspirations intend intends intending wish wishes someday
      future ambition ambitions`),
    phrases:
      /\b(?:(?:is|are|am|was|were) going to|(?:is|are|am) considering|looking forward|will|would like to|saving (?:up )?for|next (?:year|month|week|summer|step)|wants? to|hopes? to|plans? to|aims? to)\b/i,
  },
};

/** On a tie the more specific kind of statement wins: a plan about work is a plan. */
const PRIORITY: readonly (keyof typeof SECTION_LEXICONS)[] = ['goals', 'work', 'people', 'interests'];

/**
 * A word for a person counts as someone in the user's life when it is theirs ("her grandmother",
 * "Dana's two kids", "has a sister"), when the user is in their company ("with friends", "around
 * friends") or when it is named ("a puppy named Pixie"); "the dream of having a family" and "kids
 * in need" name no one.
 */
const SOMEONE_OF_THEIRS = /(?:\b(?:my|his|her|their|our|with|around|among|has|have|had)\s+|['’]s\s+)(?:[a-z0-9-]+\s+){0,2}$/i;
const NAMED_AFTER = /^\s+(?:named|called|[A-Z][a-z]+\b)/;

/**
 * A clause opened by a comma and a participle tells how or why the main verb happened, not a plan
 * of the user's: "painted a piece, aiming to capture unity" is a painting, not a goal.
 */
const TRAILING_PARTICIPLE = /,\s+[a-z]+ing\b.*$/;

/** The thematic section a sentence belongs to, from the general-English lexicons of each section. */
export function classifyMemory(sentence: string): SectionId {
  const lower = sentence.toLowerCase();
  const people = [...sentence.matchAll(/[A-Za-z]+/g)].filter(
    (match) =>
      SECTION_LEXICONS.people.words.has(match[0].toLowerCase()) &&
      (SOMEONE_OF_THEIRS.test(sentence.slice(0, match.index)) || NAMED_AFTER.test(sentence.slice(match.index + match[0].length))),
  ).length;
  const mainClause = lower.replace(TRAILING_PARTICIPLE, '');
  let best: SectionId = 'identity';
  let bestScore = 0;
  for (const section of PRIORITY) {
    const lexicon = SECTION_LEXICONS[section];
    const text = section === 'goals' ? mainClause : lower;
    const words = section === 'people' ? people : (text.match(/[a-z]+/g) ?? []).filter((token) => lexicon.words.has(token)).length;
    const score = words + (lexicon.phrases.test(text) ? 1 : 0);
    if (score > bestScore) {
      best = section;
      bestScore = score;
    }
  }
  return best;
}
