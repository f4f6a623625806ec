// @ts-check
/**
 * `node --expose-gc bench/search/word-vectors-load.js`: loads the search's word vectors from the
 * build (dist/) in a fresh process and prints, as JSON, how long that took and how much the
 * process's RSS grew, each side read after a full collection. Plain JavaScript so that plain node
 * runs it, without tsx's loader in the figures.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { loadWordVectors } from '../../dist/src/text/word-vectors.js';

const gc = /** @type {() => void} */ (globalThis.gc);
const settledRss = async () => {
  gc();
  await sleep(100);
  gc();
  return process.memoryUsage().rss;
};
const before = await settledRss();
const started = performance.now();
const vectors = loadWordVectors();
const loadMs = performance.now() - started;
const after = await settledRss();
process.stdout.write(`${JSON.stringify({ loadMs, words: vectors.size, dimensions: vectors.dimensions, rssGrowthMb: (after - before) / 2 ** 20 })}\n`);
