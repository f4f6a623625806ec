import { CONVERSATION_GAP_MS } from '../memories/conversation-gap.js';
import { cachedStemWord } from '../text/cached-stem-word.js';
import { contentWords } from '../text/content-words.js';
import { loadWordVectors, type WordVectors } from '../text/word-vectors.js';
import { dateCloseness, type CalendarDay } from './date-closeness.js';
import { dotProducts, paddedLength } from './dot-products.js';
import { readSearchQuery, type SearchQuery } from './search-query.js';
import { DEFAULT_SEARCH_TUNING, type SearchTuning } from './search-tuning.js';
import { TermVariants } from './term-variants.js';
import { asksWhen, TIME_STEMS } from './when-questions.js';

/** What the index needs of a memory; the memory itself is handed back by `search`. */
export interface IndexedMemory {
  readonly id: string;
  readonly content: string;
  readonly created_at: Date;
}

const MAX_CACHED_VARIANTS = 10_000;

export interface RankOptions {
  /**
   * Whether meaning counts (with the signal on): false ranks by the words alone, and finds only the
   * memories that share one with the query, as a person searching what they wrote expects.
   */
  byMeaning?: boolean;
}
/** How close in meaning a memory sharing no word with the query must be to enter its results (see `#addMeaning`). */
const MEANING_ALONE_CLOSENESS = 0.5;
/**
 * A query's meaning is compared with the user's newest this many memories (a cosine a memory, about
 * 0.02 µs in WebAssembly), so a user with thousands is searched in well under a millisecond still;
 * older memories are found by their words.
 */
const MEANING_REACH = 1_000;
/** A year, which places a memory in time as a month's name does. */
const YEAR = /^(19|20)\d\d$/;

/** A query's terms found in the index, by id, each with its weight (parallel lists, a term once). */
interface QueryTerms {
  readonly ids: number[];
  readonly weights: number[];
}

/**
 * BM25 over one user's live memories, built once and searched without any I/O, with the signals
 * a person's own memories make cheap: adjacent words found adjacent, the user's own spelling of a
 * word they misspell in the query, the dates a query names, the memories that say when for a
 * question about when, the conversation a memory was told in, and meaning: the words' vectors,
 * which let a query find memories near it that share none of its words. Scores depend only on the
 * memories and the query, so every database ranks alike.
 *
 * Building reads each memory's words once into flat arrays (no object per term or per memory);
 * `reindex` builds the index of a user's memories after a change from the one before it, reading
 * only the memories it did not hold.
 */
export class MemoryIndex<M extends IndexedMemory> {
  readonly #memories: readonly M[];
  readonly #tuning: SearchTuning;
  /** Term (a stemmed word, or two adjacent ones run together) to its id. */
  readonly #termIds = new Map<string, number>();
  /** Each term by id: what `reindex` needs to carry a memory's terms over to the next index. */
  readonly #terms: string[] = [];
  /** Each word as the memories write it, by id, and the id of its stem's term. */
  readonly #words: string[] = [];
  readonly #wordTerms: number[] = [];
  /**
   * Memory `d`'s terms in reading order (word, pair with the next word, word, …, last word) are
   * entries `#memoryStarts[d]` to `#memoryStarts[d + 1]` of `#memoryTerms`.
   */
  readonly #memoryStarts: Uint32Array;
  readonly #memoryTerms: Uint32Array;
  /** Memory `d`'s words as written, in reading order, are entries `#wordStarts[d]` to `#wordStarts[d + 1]` of `#memoryWords`. */
  readonly #wordStarts: Uint32Array;
  readonly #memoryWords: Uint32Array;
  /** The postings of term `t` are entries `#postingStarts[t]` to `#postingStarts[t + 1]` of these two. */
  readonly #postingStarts: Uint32Array;
  readonly #postingDocs: Uint32Array;
  /** Each posting's BM25 term-frequency factor, length-normalised. */
  readonly #postingWeights: Float64Array;
  readonly #idf: Float64Array;
  /** The words as written, for misspellings, and the words' stems, for other forms of a word. */
  readonly #wordVariants: TermVariants;
  readonly #stemVariants: TermVariants;
  readonly #times: Float64Array;
  readonly #days: readonly CalendarDay[];
  /** Each memory's conversation, numbered in time order. */
  readonly #conversations: Int32Array;
  /**
   * Per conversation, during a search: its best score, the memory that has it, and the second best,
   * valid for the search whose number `#conversationSearched` holds (so nothing is cleared after one).
   */
  readonly #conversationBest: Float64Array;
  readonly #conversationBestDoc: Int32Array;
  readonly #conversationSecond: Float64Array;
  readonly #conversationSearched: Float64Array;
  #searches = 0;
  /** Variants already looked up: the same unknown words come back query after query. */
  readonly #variantCache = new Map<string, readonly number[]>();
  /** Position of each memory in tie order: newer first, then by id. */
  readonly #tieRanks: Int32Array;
  /** The memories in tie order: sums over memories are taken in it, so they come out the same whatever order the memories were given in. */
  readonly #tieOrder: Int32Array;
  readonly #scores: Float64Array;
  readonly #touched: Int32Array;
  /** Whether each memory places what it tells in time. */
  readonly #statesTime: Uint8Array;
  /**
   * With the meaning signal on: the word vectors, and the meanings at unit length of the newest
   * `MEANING_REACH` memories in tie order, as rows of `paddedLength` signed bytes.
   */
  readonly #vectors: WordVectors | undefined;
  readonly #meanings: SignedByteRows | undefined;

  private constructor(memories: readonly M[], tuning: SearchTuning, previous?: MemoryIndex<IndexedMemory>) {
    this.#memories = memories;
    this.#tuning = tuning;
    const count = memories.length;
    this.#times = Float64Array.from(memories, (memory) => memory.created_at.getTime());
    this.#days = memories.map(({ created_at: date }) => ({ year: date.getUTCFullYear(), month: date.getUTCMonth(), day: date.getUTCDate() }));
    this.#scores = new Float64Array(count);
    this.#touched = new Int32Array(count);

    // Every memory's terms and words, in reading order, numbered as they first appear; a memory the previous index held is not read again.
    const isWord: boolean[] = [];
    const idOf = (term: string, word: boolean): number => {
      let id = this.#termIds.get(term);
      if (id === undefined) {
        id = this.#terms.length;
        this.#termIds.set(term, id);
        this.#terms.push(term);
        isWord.push(word);
      } else if (word) isWord[id] = true;
      return id;
    };
    const wordIds = new Map<string, number>();
    const wordIdOf = (word: string, term: number): number => {
      let id = wordIds.get(word);
      if (id === undefined) {
        id = this.#words.length;
        wordIds.set(word, id);
        this.#words.push(word);
        this.#wordTerms.push(term);
      }
      return id;
    };
    const held = previous ? previous.#docsById() : undefined;
    const lengths = new Float64Array(count);
    this.#memoryStarts = new Uint32Array(count + 1);
    this.#wordStarts = new Uint32Array(count + 1);
    const memoryTerms = new GrowingIds(count * 32);
    const memoryWords = new GrowingIds(count * 16);
    memories.forEach((memory, doc) => {
      this.#memoryStarts[doc] = memoryTerms.length;
      this.#wordStarts[doc] = memoryWords.length;
      const before = held?.get(memory.id);
      if (previous && before !== undefined && previous.#memories[before]!.content === memory.content) {
        const from = previous.#memoryStarts[before]!;
        const to = previous.#memoryStarts[before + 1]!;
        // Words and pairs alternate, a word first; each word's spelling comes with it.
        let written = previous.#wordStarts[before]!;
        for (let at = from; at < to; at += 1) {
          const isWordAt = (at - from) % 2 === 0;
          const id = idOf(previous.#terms[previous.#memoryTerms[at]!]!, isWordAt);
          memoryTerms.push(id);
          if (isWordAt) memoryWords.push(wordIdOf(previous.#words[previous.#memoryWords[written++]!]!, id));
        }
        lengths[doc] = (to - from + 1) >>> 1;
        return;
      }
      const words = contentWords(memory.content);
      let previousStem: string | undefined;
      for (const word of words) {
        const stem = cachedStemWord(word);
        if (previousStem !== undefined) memoryTerms.push(idOf(previousStem + stem, false));
        const id = idOf(stem, true);
        memoryTerms.push(id);
        memoryWords.push(wordIdOf(word, id));
        previousStem = stem;
      }
      lengths[doc] = words.length;
    });
    this.#memoryStarts[count] = memoryTerms.length;
    this.#wordStarts[count] = memoryWords.length;
    this.#memoryTerms = memoryTerms.trimmed();
    this.#memoryWords = memoryWords.trimmed();

    // Postings in memory order, each with how often its memory has the term.
    const termCount = this.#terms.length;
    const lastDoc = new Int32Array(termCount).fill(-1);
    this.#postingStarts = new Uint32Array(termCount + 1);
    this.#forEachTerm((doc, id) => {
      if (lastDoc[id] === doc) return;
      lastDoc[id] = doc;
      this.#postingStarts[id + 1]! += 1;
    });
    for (let id = 0; id < termCount; id += 1) this.#postingStarts[id + 1]! += this.#postingStarts[id]!;
    const total = this.#postingStarts[termCount]!;
    this.#postingDocs = new Uint32Array(total);
    const frequencies = new Uint32Array(total);
    const next = this.#postingStarts.slice(0, termCount);
    lastDoc.fill(-1);
    this.#forEachTerm((doc, id) => {
      if (lastDoc[id] === doc) {
        frequencies[next[id]! - 1]! += 1;
        return;
      }
      lastDoc[id] = doc;
      this.#postingDocs[next[id]!] = doc;
      frequencies[next[id]!] = 1;
      next[id]! += 1;
    });

    const averageLength = count === 0 ? 1 : lengths.reduce((sum, length) => sum + length, 0) / count || 1;
    const { k1, b } = tuning;
    this.#idf = new Float64Array(termCount);
    this.#postingWeights = new Float64Array(total);
    for (let id = 0; id < termCount; id += 1) {
      const start = this.#postingStarts[id]!;
      const end = this.#postingStarts[id + 1]!;
      this.#idf[id] = Math.log(1 + (count - (end - start) + 0.5) / (end - start + 0.5));
      for (let at = start; at < end; at += 1) {
        const frequency = frequencies[at]!;
        this.#postingWeights[at] = (frequency * (k1 + 1)) / (frequency + k1 * (1 - b + (b * lengths[this.#postingDocs[at]!]!) / averageLength));
      }
    }
    this.#wordVariants = new TermVariants(this.#words);
    this.#stemVariants = new TermVariants(this.#terms, (id) => isWord[id] === true);

    const byTime = [...memories.keys()].sort((a, b) => this.#times[a]! - this.#times[b]! || compareIds(memories[a]!, memories[b]!));
    this.#conversations = new Int32Array(count);
    let conversation = 0;
    byTime.forEach((doc, i) => {
      if (i > 0 && this.#times[doc]! - this.#times[byTime[i - 1]!]! >= CONVERSATION_GAP_MS) conversation += 1;
      this.#conversations[doc] = conversation;
    });
    const placesInTime = new Uint8Array(termCount);
    this.#terms.forEach((term, id) => {
      if (isWord[id] && (TIME_STEMS.has(term) || YEAR.test(term))) placesInTime[id] = 1;
    });
    this.#statesTime = new Uint8Array(count);
    this.#forEachTerm((doc, id) => {
      if (placesInTime[id] === 1) this.#statesTime[doc] = 1;
    });
    this.#conversationBest = new Float64Array(conversation + 1);
    this.#conversationBestDoc = new Int32Array(conversation + 1);
    this.#conversationSecond = new Float64Array(conversation + 1);
    this.#conversationSearched = new Float64Array(conversation + 1);
    this.#tieRanks = new Int32Array(count);
    // Newest first; among memories of the same time, ids ascending.
    this.#tieOrder = Int32Array.from([...memories.keys()].sort((a, b) => this.#times[b]! - this.#times[a]! || compareIds(memories[a]!, memories[b]!)));
    this.#tieOrder.forEach((doc, rank) => (this.#tieRanks[doc] = rank));
    if (tuning.meaningWeight > 0) {
      const vectors = loadWordVectors();
      this.#vectors = vectors;
      this.#meanings = this.#meaningsOfMemories(
        vectors,
        Int32Array.from(this.#words, (word) => vectors.rowOf(word)),
        Math.min(count, MEANING_REACH),
      );
    }
  }

  static build<M extends IndexedMemory>(memories: readonly M[], tuning: SearchTuning = DEFAULT_SEARCH_TUNING): MemoryIndex<M> {
    return new MemoryIndex(memories, tuning);
  }

  /**
   * The index of `memories` (with this index's tuning), ranking exactly as `MemoryIndex.build`
   * would, that reads again only the memories this index does not hold (by id, with the same text).
   */
  reindex<N extends IndexedMemory>(memories: readonly N[]): MemoryIndex<N> {
    return new MemoryIndex(memories, this.#tuning, this);
  }

  get size(): number {
    return this.#memories.length;
  }

  /** The memories the index holds, in the order it was built with. */
  get memories(): readonly M[] {
    return this.#memories;
  }

  /**
   * The memories sharing a term with the query and, when one does, those near it in meaning; best
   * first, newer first, then by id, on a tie.
   */
  search(query: string | SearchQuery, limit: number): M[] {
    return this.rank(query, limit).map(({ memory }) => memory);
  }

  /**
   * What `search` finds, with each memory's score (higher is more relevant; comparable within one
   * query only). A query already read (`readSearchQuery`) is not read again.
   */
  rank(query: string | SearchQuery, limit: number, { byMeaning = true }: RankOptions = {}): { memory: M; score: number }[] {
    if (limit <= 0 || this.#memories.length === 0) return [];
    const { text, mentions, words, stems } = typeof query === 'string' ? readSearchQuery(query) : query;
    const tuning = this.#tuning;
    const termIds = this.#termIds;
    const stemIds = stems.map((stem) => termIds.get(stem) ?? -1);
    let touched = this.#accumulate(this.#queryTerms(words, stems, stemIds), 0);
    if (touched === 0) return [];
    if (this.#meanings !== undefined && byMeaning) touched = this.#addMeaning(words, stemIds, touched);
    const scores = this.#scores;
    const docs = this.#touched;
    if (tuning.whenBoost > 0 && asksWhen(text)) {
      const statesTime = this.#statesTime;
      for (let i = 0; i < touched; i += 1) {
        const doc = docs[i]!;
        if (statesTime[doc] === 1) scores[doc]! *= 1 + tuning.whenBoost;
      }
    }
    if (mentions.length > 0 && tuning.dateBoost > 0) {
      for (let i = 0; i < touched; i += 1) {
        const doc = docs[i]!;
        let closeness = 0;
        for (const mention of mentions) closeness = Math.max(closeness, dateCloseness(mention, this.#days[doc]!));
        scores[doc]! *= 1 + tuning.dateBoost * closeness;
      }
    }
    if (tuning.neighbourShare > 0) this.#shareWithConversation(touched);
    const best = this.#top(touched, limit).map((doc) => ({ memory: this.#memories[doc] as M, score: scores[doc]! }));
    for (let i = 0; i < touched; i += 1) scores[docs[i]!] = 0;
    return best;
  }

  /**
   * The query's words found in the memories (or their variants), and its adjacent pairs. For a
   * word whose stem no memory has, misspellings are looked for among the memories' words as
   * written, not their stems: a misspelt word is seldom stemmed like the word meant ("educaton";
   * "education" → "educ"), and two short stems one letter apart often come from unrelated words
   * ("political" → "polit", "positive" → "posit"). Other forms of a word are looked for among the
   * stems ("experimentation" → "experiment", "experimenting" → "experi").
   */
  #queryTerms(words: readonly string[], stems: readonly string[], stemIds: readonly number[]): QueryTerms {
    const terms: QueryTerms = { ids: [], weights: [] };
    const { variantWeight, pairWeight } = this.#tuning;
    for (let i = 0; i < stems.length; i += 1) {
      const id = stemIds[i]!;
      if (id >= 0) addTerm(terms, id, 1);
      else if (variantWeight > 0) for (const variant of this.#variantsOf(words[i]!, stems[i]!)) addTerm(terms, variant, variantWeight);
    }
    if (pairWeight > 0) {
      for (let i = 0; i + 1 < stems.length; i += 1) {
        const id = this.#termIds.get(stems[i]! + stems[i + 1]!);
        if (id !== undefined) addTerm(terms, id, pairWeight);
      }
    }
    return terms;
  }

  /**
   * The meanings of the first `reach` memories in tie order: each the mean of its words' vectors,
   * each weighted by how much the word tells (`#wordWeight`), at unit length; all zero for a memory
   * with no word the vectors know.
   */
  #meaningsOfMemories(vectors: WordVectors, wordRows: Int32Array, reach: number): SignedByteRows {
    const dimensions = vectors.dimensions;
    const stride = paddedLength(dimensions);
    const meanings: SignedByteRows = { bytes: new Int8Array(reach * stride), scales: new Float32Array(reach) };
    const meaning = new Float32Array(dimensions);
    for (let rank = 0; rank < reach; rank += 1) {
      const doc = this.#tieOrder[rank]!;
      meaning.fill(0);
      for (let at = this.#wordStarts[doc]!, end = this.#wordStarts[doc + 1]!; at < end; at += 1) {
        const word = this.#memoryWords[at]!;
        const row = wordRows[word]!;
        if (row >= 0) vectors.addTo(meaning, 0, row, this.#wordWeight(vectors, row, this.#wordTerms[word]));
      }
      if (normalise(meaning, 0, dimensions)) meanings.scales[rank] = toSignedBytes(meaning, meanings.bytes, rank * stride);
    }
    return meanings;
  }

  /**
   * How much a word tells, for a meaning: its stem's IDF over the user's memories (a word the
   * user says everywhere, like their own name, tells little of one memory; one they never said
   * weighs as a term in no memory), times its smooth inverse frequency in English (a common word
   * like "time" or "good" tells little anywhere).
   */
  #wordWeight(vectors: WordVectors, row: number, term: number | undefined): number {
    const idf = term === undefined ? Math.log(1 + (this.#memories.length + 0.5) / 0.5) : this.#idf[term]!;
    return idf * vectors.rarity(row);
  }

  /**
   * Adds the meaning signal: each memory's closeness to the query's meaning, its cosine measured
   * from the mean over the memories (0) to the closest one (1), times `meaningWeight` and the
   * query's best BM25 score. A memory less close than the mean gains nothing; one that shares no
   * word with the query enters the results only when at least halfway to the closest, so a
   * question finds what it means without a tail of memories about nothing in particular. Returns
   * how many memories now have a score.
   */
  #addMeaning(words: readonly string[], stemIds: readonly number[], touched: number): number {
    const vectors = this.#vectors!;
    const meanings = this.#meanings!;
    const dimensions = vectors.dimensions;
    const stride = paddedLength(dimensions);
    const query = queryScratch(dimensions);
    for (let i = 0; i < words.length; i += 1) {
      const word = words[i]!;
      if (words.indexOf(word) < i) continue;
      const row = vectors.rowOf(word);
      const term = stemIds[i]!;
      if (row >= 0) vectors.addTo(query, 0, row, this.#wordWeight(vectors, row, term >= 0 ? term : undefined));
    }
    if (!normalise(query, 0, dimensions)) return touched;
    const queryBytes = queryBytesScratch(stride);
    const queryScale = toSignedBytes(query, queryBytes, 0);
    const tieOrder = this.#tieOrder;
    const scales = meanings.scales;
    const reach = scales.length;
    const products = dotProducts(queryBytes, meanings.bytes, reach);
    const cosineAt = (rank: number) => products[rank]! * queryScale * scales[rank]!;
    let sum = 0;
    let understood = 0;
    let closest = -Infinity;
    for (let rank = 0; rank < reach; rank += 1) {
      const cosine = cosineAt(rank);
      if (cosine === 0) continue;
      sum += cosine;
      understood += 1;
      if (cosine > closest) closest = cosine;
    }
    const mean = sum / understood;
    if (understood === 0 || closest <= mean) return touched;
    const scores = this.#scores;
    const touchedDocs = this.#touched;
    let best = 0;
    for (let i = 0; i < touched; i += 1) best = Math.max(best, scores[touchedDocs[i]!]!);
    const gain = this.#tuning.meaningWeight * best;
    const perCloseness = 1 / (closest - mean);
    let now = touched;
    for (let rank = 0; rank < reach; rank += 1) {
      const cosine = cosineAt(rank);
      if (cosine <= mean || cosine === 0) continue;
      const doc = tieOrder[rank]!;
      const closeness = (cosine - mean) * perCloseness;
      if (scores[doc] === 0) {
        if (closeness < MEANING_ALONE_CLOSENESS) continue;
        touchedDocs[now++] = doc;
      }
      scores[doc]! += closeness * gain;
    }
    return now;
  }

  /** Adds the terms' BM25 contributions to the scores; returns how many memories now have one. */
  #accumulate({ ids, weights }: QueryTerms, touched: number): number {
    const scores = this.#scores;
    const docs = this.#touched;
    const starts = this.#postingStarts;
    const postingDocs = this.#postingDocs;
    const postingWeights = this.#postingWeights;
    let count = touched;
    for (let term = 0; term < ids.length; term += 1) {
      const id = ids[term]!;
      const idf = this.#idf[id]! * weights[term]!;
      for (let i = starts[id]!, end = starts[id + 1]!; i < end; i += 1) {
        const doc = postingDocs[i]!;
        if (scores[doc] === 0) docs[count++] = doc;
        scores[doc]! += idf * postingWeights[i]!;
      }
    }
    return count;
  }

  /** The terms that a query word no memory has (`stem` its stem) may stand for. */
  #variantsOf(word: string, stem: string): readonly number[] {
    let variants = this.#variantCache.get(word);
    if (variants === undefined) {
      if (this.#variantCache.size >= MAX_CACHED_VARIANTS) this.#variantCache.clear();
      const misspelt = this.#wordVariants.misspellingsOf(word).map((id) => this.#wordTerms[id]!);
      variants = [...new Set([...misspelt, ...this.#stemVariants.formsOf(stem)])];
      this.#variantCache.set(word, variants);
    }
    return variants;
  }

  /** Raises each memory by a share of the best other memory of its conversation. */
  #shareWithConversation(touched: number): void {
    const best = this.#conversationBest;
    const bestDoc = this.#conversationBestDoc;
    const second = this.#conversationSecond;
    const docs = this.#touched;
    const conversations = this.#conversations;
    const scores = this.#scores;
    const searched = this.#conversationSearched;
    const search = ++this.#searches;
    for (let i = 0; i < touched; i += 1) {
      const doc = docs[i]!;
      const conversation = conversations[doc]!;
      const score = scores[doc]!;
      if (searched[conversation] !== search) {
        searched[conversation] = search;
        best[conversation] = score;
        bestDoc[conversation] = doc;
        second[conversation] = 0;
      } else if (score > best[conversation]!) {
        second[conversation] = best[conversation]!;
        best[conversation] = score;
        bestDoc[conversation] = doc;
      } else if (score > second[conversation]!) second[conversation] = score;
    }
    const share = this.#tuning.neighbourShare;
    for (let i = 0; i < touched; i += 1) {
      const doc = docs[i]!;
      const conversation = conversations[doc]!;
      scores[doc]! += share * (bestDoc[conversation] === doc ? second[conversation]! : best[conversation]!);
    }
  }

  /** Each memory's position, by id. */
  #docsById(): Map<string, number> {
    const positions = new Map<string, number>();
    this.#memories.forEach((memory, doc) => positions.set(memory.id, doc));
    return positions;
  }

  /** Calls `visit` with every term of every memory, memory by memory, in reading order. */
  #forEachTerm(visit: (doc: number, id: number) => void): void {
    const starts = this.#memoryStarts;
    const terms = this.#memoryTerms;
    for (let doc = 0; doc + 1 < starts.length; doc += 1) {
      for (let at = starts[doc]!, end = starts[doc + 1]!; at < end; at += 1) visit(doc, terms[at]!);
    }
  }

  /** The `limit` best of the touched memories, by score then tie order. */
  #top(touched: number, limit: number): number[] {
    const best: number[] = [];
    const scores = this.#scores;
    const ranks = this.#tieRanks;
    const docs = this.#touched;
    const before = (a: number, b: number) => scores[a]! > scores[b]! || (scores[a] === scores[b] && ranks[a]! < ranks[b]!);
    // Most memories score below the last of the best so far: one comparison turns them away.
    let lowest = -Infinity;
    for (let i = 0; i < touched; i += 1) {
      const doc = docs[i]!;
      if (scores[doc]! < lowest) continue;
      if (best.length === limit && !before(doc, best[limit - 1]!)) continue;
      let at = best.length === limit ? limit - 1 : best.length;
      while (at > 0 && before(doc, best[at - 1]!)) {
        best[at] = best[at - 1]!;
        at -= 1;
      }
      best[at] = doc;
      if (best.length === limit) lowest = scores[best[limit - 1]!]!;
    }
    return best;
  }
}

/** A list of ids appended one at a time into a typed array that doubles when full. */
class GrowingIds {
  #ids: Uint32Array;
  length = 0;

  constructor(expected: number) {
    this.#ids = new Uint32Array(Math.max(16, expected));
  }

  push(id: number): void {
    if (this.length === this.#ids.length) {
      const grown = new Uint32Array(this.#ids.length * 2);
      grown.set(this.#ids);
      this.#ids = grown;
    }
    this.#ids[this.length++] = id;
  }

  /** The ids, in an array of their own length. */
  trimmed(): Uint32Array {
    return this.length === this.#ids.length ? this.#ids : this.#ids.slice(0, this.length);
  }
}

/** Scales `length` numbers from `offset` to unit length; false when they are all 0. */
function normalise(vector: Float32Array, offset: number, length: number): boolean {
  let squares = 0;
  for (let d = offset; d < offset + length; d += 1) squares += vector[d]! * vector[d]!;
  if (squares === 0) return false;
  const inverse = 1 / Math.sqrt(squares);
  for (let d = offset; d < offset + length; d += 1) vector[d]! *= inverse;
  return true;
}

/**
 * Vectors at unit length as signed bytes, a row each, its largest number at ±127, and for each row
 * the scale back (a cosine is the rows' integer dot product times both scales): a quarter of the
 * memory of floats, which a search reads whole, for cosines within about 0.01.
 */
interface SignedByteRows {
  bytes: Int8Array;
  scales: Float32Array;
}

/** Writes `vector` from `offset` as signed bytes, its largest number at ±127; returns the scale back. */
function toSignedBytes(vector: Float32Array, bytes: Int8Array, offset: number): number {
  let largest = 0;
  for (let d = 0; d < vector.length; d += 1) {
    const size = Math.abs(vector[d]!);
    if (size > largest) largest = size;
  }
  const scale = 127 / largest;
  for (let d = 0; d < vector.length; d += 1) bytes[offset + d] = Math.round(vector[d]! * scale);
  return 1 / scale;
}

// Reused from search to search (a search runs to its end before the next).
let scratchQuery = new Float32Array(0);
let scratchQueryBytes = new Int8Array(0);

/** A vector of `length` zeros to build a query's meaning in. */
function queryScratch(length: number): Float32Array {
  if (scratchQuery.length !== length) scratchQuery = new Float32Array(length);
  else scratchQuery.fill(0);
  return scratchQuery;
}

/** `length` bytes for a query's meaning in signed bytes: `toSignedBytes` writes its numbers, and the padding past them is never written, so stays zero. */
function queryBytesScratch(length: number): Int8Array {
  if (scratchQueryBytes.length !== length) scratchQueryBytes = new Int8Array(length);
  return scratchQueryBytes;
}

/** Adds a term to the query's, or raises the weight it has. */
function addTerm(terms: QueryTerms, id: number, weight: number): void {
  const at = terms.ids.indexOf(id);
  if (at < 0) {
    terms.ids.push(id);
    terms.weights.push(weight);
  } else if (weight > terms.weights[at]!) terms.weights[at] = weight;
}

function compareIds(a: IndexedMemory, b: IndexedMemory): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
