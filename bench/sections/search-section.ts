import { execFileSync } from 'node:child_process';
import { MemoryIndex } from '../../src/search/memory-index.js';
import { locomoMemories } from '../../test/llm/offline/locomo-memories.js';
import type { BenchRun } from '../support/bench-run.js';
import { ensureBuilt } from '../support/ensure-built.js';
import { summarizeLatencies } from '../support/latency-summary.js';
import { repoPath } from '../support/repo-path.js';
import type { Section } from './section.js';

/** The LoCoMo user with the most memories (172). */
const USER = 'locomo-41-john';

/** How many fresh processes load the word vectors. */
const VECTOR_LOADS = 5;

/**
 * Section 7: the in-process search index of one user, built and searched with the LoCoMo
 * questions' shape of query, and the word vectors its meaning signal reads once per process,
 * loaded in fresh processes (the time, and the RSS it adds). It touches no database, so it runs
 * once, with the PGlite pass.
 */
export const searchSection: Section = {
  name: 'search',
  title: 'Search: building and searching the index of the largest LoCoMo user',
  run(context) {
    if (context.kind !== 'pglite') return Promise.resolve([]);
    const memories = locomoMemories(USER).map((memory) => ({ id: memory.id, content: memory.content, created_at: memory.createdAt }));
    const rounds = context.full ? 200 : 40;
    const builds: number[] = [];
    let index = MemoryIndex.build(memories);
    for (let round = 0; round < rounds; round += 1) {
      const started = performance.now();
      index = MemoryIndex.build(memories);
      builds.push(performance.now() - started);
    }
    const queries = memories.map((memory) => `What did John say about ${memory.content.split(' ').slice(2, 6).join(' ')}?`);
    for (const query of queries) index.search(query, 20);
    const searches: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      for (const query of queries) {
        const started = performance.now();
        index.search(query, 20);
        searches.push(performance.now() - started);
      }
    }
    const run = (what: string, samples: number[], params: Record<string, number | string>): BenchRun => {
      const latency = summarizeLatencies(samples);
      return {
        section: 'search',
        what,
        database: null,
        transport: 'in-process',
        params: { user: USER, memories: memories.length, ...params },
        setting: `${memories.length} memories`,
        ...latency,
        figures: {},
        summary: '',
        targets: [],
      };
    };
    ensureBuilt(context.log);
    const loads = Array.from({ length: VECTOR_LOADS }, () => {
      const output = execFileSync(process.execPath, ['--expose-gc', repoPath('bench', 'search', 'word-vectors-load.js')], { encoding: 'utf8' });
      return JSON.parse(output) as { loadMs: number; rssGrowthMb: number; words: number; dimensions: number };
    });
    const growth = loads.map((load) => load.rssGrowthMb).sort((a, b) => a - b);
    const vectors = run(
      'word vectors, loaded in a fresh process',
      loads.map((load) => load.loadMs),
      { loads: VECTOR_LOADS, words: loads[0]!.words, dimensions: loads[0]!.dimensions },
    );
    const medianGrowth = Number(growth[growth.length >> 1]!.toFixed(1));
    return Promise.resolve([
      run('index build', builds, { builds: rounds }),
      run('search, limit 20', searches, { queries: searches.length }),
      {
        ...vectors,
        setting: `${loads[0]!.words} words × ${loads[0]!.dimensions}`,
        figures: { rssGrowthMb: medianGrowth },
        summary: `RSS +${medianGrowth} MB (median of ${VECTOR_LOADS})`,
      },
    ]);
  },
};
