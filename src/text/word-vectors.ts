import { readFileSync } from 'node:fs';
import { projectPath } from '../config/project-path.js';

/** The asset `scripts/derive-word-vectors.ts` writes (see data/word-vectors/README.md). */
export const WORD_VECTORS_PATH = 'data/word-vectors/word-vectors.bin';

const MAGIC = 0x43455657; // "WVEC", little-endian
const VERSION = 1;
const HEADER_BYTES = 20;
/** Zipf's law: the word of rank r is about 0.1 / r of English text. */
const ZIPF_SHARE = 0.1;
/** The ranks of the stop words and short words the asset leaves out before its first row, roughly. */
const ROWS_BEFORE_FIRST = 50;
/** The `a` of the smooth inverse frequency: a word a ten-thousandth of text weighs half. */
const SMOOTHING = 1e-4;

/** What the asset holds: words, most frequent first, and each one's vector as signed bytes, row after row. */
export interface EncodedWordVectors {
  readonly words: readonly string[];
  readonly dimensions: number;
  readonly bytes: Int8Array;
}

/**
 * English words' vectors (GloVe), read from a few megabytes of signed bytes, looked up by the word
 * as written, lower-cased. Only directions count: each row is used at unit length.
 */
export class WordVectors {
  readonly dimensions: number;
  readonly #rows = new Map<string, number>();
  readonly #bytes: Int8Array;
  /** Each row's inverse length, so a row read at unit length needs no square root. */
  readonly #inverseLengths: Float32Array;

  constructor({ words, dimensions, bytes }: EncodedWordVectors) {
    if (bytes.length !== words.length * dimensions) throw new Error(`word vectors: ${words.length} words of ${dimensions} need ${words.length * dimensions} bytes, not ${bytes.length}`);
    this.dimensions = dimensions;
    this.#bytes = bytes;
    this.#inverseLengths = new Float32Array(words.length);
    words.forEach((word, row) => {
      this.#rows.set(word, row);
      let squares = 0;
      for (let at = row * dimensions, end = at + dimensions; at < end; at += 1) squares += bytes[at]! * bytes[at]!;
      this.#inverseLengths[row] = squares === 0 ? 0 : 1 / Math.sqrt(squares);
    });
  }

  get size(): number {
    return this.#rows.size;
  }

  /** The word's row, or -1 for a word the vectors do not have. */
  rowOf(word: string): number {
    return this.#rows.get(word) ?? -1;
  }

  /**
   * How little the word is used in English, from 0 to 1: the smooth inverse frequency
   * a / (a + p) of Arora, Liang and Ma's sentence embeddings, p the word's share of English text
   * estimated from its rank by Zipf's law (the rows are the words, most frequent first).
   */
  rarity(row: number): number {
    const share = ZIPF_SHARE / (row + ROWS_BEFORE_FIRST);
    return SMOOTHING / (SMOOTHING + share);
  }

  /** Adds `weight` times the row's unit vector to `target` from `offset` on. */
  addTo(target: Float32Array, offset: number, row: number, weight: number): void {
    const scale = weight * this.#inverseLengths[row]!;
    const bytes = this.#bytes;
    for (let d = 0, at = row * this.dimensions; d < this.dimensions; d += 1, at += 1) target[offset + d]! += scale * bytes[at]!;
  }
}

let loaded: WordVectors | undefined;

/** The project's word vectors, read from disk the first time they are asked for, once per process. */
export function loadWordVectors(): WordVectors {
  loaded ??= new WordVectors(decodeWordVectors(readFileSync(projectPath(WORD_VECTORS_PATH))));
  return loaded;
}

/** The asset's bytes: a header (magic, version, word count, dimensions, words' length), the words joined by line feeds, the vectors. */
export function encodeWordVectors({ words, dimensions, bytes }: EncodedWordVectors): Buffer {
  const text = Buffer.from(words.join('\n'), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  [MAGIC, VERSION, words.length, dimensions, text.length].forEach((value, i) => header.writeUInt32LE(value, i * 4));
  return Buffer.concat([header, text, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length)]);
}

export function decodeWordVectors(file: Buffer): EncodedWordVectors {
  const [magic, version, count, dimensions, textLength] = [0, 1, 2, 3, 4].map((i) => file.readUInt32LE(i * 4)) as [number, number, number, number, number];
  if (magic !== MAGIC || version !== VERSION) throw new Error(`${WORD_VECTORS_PATH} is not a word-vectors file of version ${VERSION}: derive it again with scripts/derive-word-vectors.ts`);
  const words = file.subarray(HEADER_BYTES, HEADER_BYTES + textLength).toString('utf8').split('\n');
  const start = HEADER_BYTES + textLength;
  const bytes = new Int8Array(file.buffer, file.byteOffset + start, count * dimensions);
  if (words.length !== count) throw new Error(`${WORD_VECTORS_PATH} lists ${words.length} words, its header says ${count}`);
  return { words, dimensions, bytes };
}
