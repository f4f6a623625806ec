/** Shortest query term looked up as a variant: shorter words have too many neighbours. */
const MIN_LENGTH = 5;
/** Shortest shared beginning that makes two terms forms of one word ("allergy", "allergic"). */
const MIN_SHARED_PREFIX = 5;

/**
 * The user's own terms that a term they never used may stand for: one slip of the keyboard away
 * ("educaton", "persue"), or another form of the same word ("grandma" → "grandmother",
 * "allergy" → "allergic"), judged by how much of the shorter term the two share from the start.
 */
export class TermVariants {
  /** Term ids by first letter. */
  readonly #byFirstLetter = new Map<string, number[]>();

  /** `terms` by id; only those `isWord` accepts (by default all) can be variants. */
  constructor(
    private readonly terms: readonly string[],
    isWord: (id: number) => boolean = () => true,
  ) {
    terms.forEach((term, id) => {
      if (term.length < MIN_LENGTH - 1 || !isWord(id)) return;
      const bucket = this.#byFirstLetter.get(term.charAt(0));
      if (bucket) bucket.push(id);
      else this.#byFirstLetter.set(term.charAt(0), [id]);
    });
  }

  /** Ids of the terms one slip of the keyboard away from `term`; empty for short terms. */
  misspellingsOf(term: string): number[] {
    return this.#matching(term, (other) => withinOneEdit(term, other));
  }

  /** Ids of the terms sharing all but the last letters of `term`; empty for short terms. */
  formsOf(term: string): number[] {
    return this.#matching(term, (other) => sharesStem(term, other));
  }

  #matching(term: string, related: (other: string) => boolean): number[] {
    if (term.length < MIN_LENGTH) return [];
    const found: number[] = [];
    for (const id of this.#byFirstLetter.get(term.charAt(0)) ?? []) {
      const other = this.terms[id] ?? '';
      if (other !== term && related(other)) found.push(id);
    }
    return found;
  }
}

/** Whether two terms share a beginning of at least five letters that leaves at most two of the shorter over. */
function sharesStem(a: string, b: string): boolean {
  const shorter = Math.min(a.length, b.length);
  let shared = 0;
  while (shared < shorter && a.charCodeAt(shared) === b.charCodeAt(shared)) shared += 1;
  return shared >= Math.max(MIN_SHARED_PREFIX, shorter - 2);
}

/** One insertion, deletion, substitution or swap of neighbours (never zero: equal terms are not variants). */
function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return false;
  if (a.length === b.length) {
    let first = -1;
    for (let i = 0; i < a.length; i += 1) {
      if (a.charCodeAt(i) === b.charCodeAt(i)) continue;
      if (first >= 0) {
        return i === first + 1 && a.charAt(first) === b.charAt(i) && a.charAt(i) === b.charAt(first) && a.slice(i + 1) === b.slice(i + 1);
      }
      first = i;
    }
    return true;
  }
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  if (long.length - short.length !== 1) return false;
  let i = 0;
  while (i < short.length && short.charCodeAt(i) === long.charCodeAt(i)) i += 1;
  return short.slice(i) === long.slice(i + 1);
}
