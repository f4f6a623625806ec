import type { App } from '../../src/app/app.js';
import type { NarrativeRow } from '../../src/db/database-schema.js';
import { OfflineProvider } from '../../src/llm/offline/offline-provider.js';
import type { MemoryInput } from '../../src/memories/memory-input.js';
import { startFakeOpenAi } from '../../test/support/fake-openai-server.js';
import { atMost } from '../support/at-most.js';
import type { BenchRun } from '../support/bench-run.js';
import { closeBenchApp } from '../support/close-bench-app.js';
import { exactly } from '../support/exactly.js';
import { loadLocomo } from '../support/locomo-data.js';
import { openBenchApp } from '../support/open-bench-app.js';
import type { Section } from './section.js';

const SIZES = [100, 1_000, 5_000] as const;
const NEW_MEMORIES = 25;
/** OpenAI's and Anthropic's own budget: about 15k tokens of memories. */
const PROMPT_BUDGET_CHARS = 60_000;
const TARGET_SIZE = 1_000;
const TARGET_SHARE = 0.25;
const YEAR_MS = 365.25 * 86_400_000;

/** The user the synthetic memories are about; the LoCoMo speakers all become them. */
const USER_NAME = 'Alex';
/** Names the other people in the memories take, a different set in each pass over the LoCoMo memories. */
const OTHER_NAMES = `Priya Tomas Ingrid Kwame Lucia Omar Hana Mateo Sofia Ravi Elena Jonas Amara Diego Mei Felix Zara
  Nikolai Ines Kofi Leila Bruno Aiko Samir Freya Emil Noor Pablo Yara Lars`.split(/\s+/);

/**
 * Section 8: the tokens one narrative costs with a remote provider, built in full and revised
 * after 25 new memories, for users with 100, 1,000 and 5,000 memories. The fake OpenAI server
 * counts a token per 4 characters of the prompt it receives and of the narrative it answers (a
 * 550-word narrative of the user by the offline writer), as real tokenisers roughly do for
 * English. The tokens do not depend on the database, so it runs once, with the PGlite pass.
 */
export const tokensSection: Section = {
  name: 'tokens',
  title: 'Tokens: one regeneration built in full and revised after 25 new memories',
  async run(context) {
    if (context.kind !== 'pglite') return [];
    const memories = await syntheticMemories(Math.max(...SIZES) + NEW_MEMORIES);
    const database = await context.database();
    const fake = await startFakeOpenAi();
    const app = await openBenchApp({
      ...database.env,
      OPENAI_BASE_URL: fake.url,
      LLM_NARRATIVE_MODEL: 'bench-narrative',
      LLM_PROMPT_BUDGET_CHARS: String(PROMPT_BUDGET_CHARS),
      LLM_CALLS_PER_MINUTE: '100000',
    });
    try {
      const runs: BenchRun[] = [];
      for (const size of SIZES) {
        context.log(`${size} memories: a full build, ${NEW_MEMORIES} new memories, a revision and a full build of the same`);
        runs.push(await regenerations(app, fake, size, memories));
      }
      return runs;
    } finally {
      await closeBenchApp(app, context.problem);
      await fake.close();
    }
  },
};

async function regenerations(app: App, fake: Awaited<ReturnType<typeof startFakeOpenAi>>, size: number, all: readonly MemoryInput[]): Promise<BenchRun> {
  // The newest `size` memories of the pool, then the 25 after them, so every user's memories end alike.
  const old = all.slice(all.length - NEW_MEMORIES - size, all.length - NEW_MEMORIES);
  const added = all.slice(all.length - NEW_MEMORIES);
  const narrative = await new OfflineProvider().writeNarrative({
    user: { externalId: USER_NAME, displayName: USER_NAME },
    memories: old.map((memory, index) => ({ id: String(index), content: memory.content, createdAt: memory.created_at! })),
    now: new Date(),
    signal: new AbortController().signal,
  });
  fake.respondWith(narrative.text);

  const user = await app.repositories.users.getOrCreate(`bench-tokens-${size}`);
  for (let start = 0; start < old.length; start += 1_000) await app.engine.memories.add(user.id, old.slice(start, start + 1_000), 'bench');
  const first = await generate(app, user.id, 'miss');
  await app.engine.memories.add(user.id, added, 'bench');
  const revised = await generate(app, user.id, 'miss');
  // A manual regeneration is always a full build: the same memories, built in full.
  const rebuilt = await generate(app, user.id, 'manual');

  const tokens = (row: NarrativeRow) => ({ input: row.input_tokens ?? 0, output: row.output_tokens ?? 0, total: (row.input_tokens ?? 0) + (row.output_tokens ?? 0) });
  const full = tokens(rebuilt);
  const incremental = tokens(revised);
  const inputShare = incremental.input / full.input;
  const totalShare = incremental.total / full.total;
  const round = (share: number) => Math.round(share * 1_000) / 1_000;
  return {
    section: 'tokens',
    what: `regeneration of a user with ${size.toLocaleString('en-US')} memories`,
    database: null,
    transport: 'in-process',
    params: { memories: size, new_memories: NEW_MEMORIES, prompt_budget_chars: PROMPT_BUDGET_CHARS, narrative_words: narrative.text.split(/\s+/).length },
    setting: `${size.toLocaleString('en-US')} memories + ${NEW_MEMORIES}`,
    figures: {
      first_build_kind: first.build_kind,
      full_input_tokens: full.input,
      full_output_tokens: full.output,
      incremental_kind: revised.build_kind,
      incremental_input_tokens: incremental.input,
      incremental_output_tokens: incremental.output,
      incremental_share_of_full_input: round(inputShare),
      incremental_share_of_full_total: round(totalShare),
    },
    summary:
      `full ${full.input.toLocaleString('en-US')} in + ${full.output.toLocaleString('en-US')} out; ` +
      `incremental ${incremental.input.toLocaleString('en-US')} in + ${incremental.output.toLocaleString('en-US')} out ` +
      `(${(inputShare * 100).toFixed(1)}% of the input, ${(totalShare * 100).toFixed(1)}% of all tokens)`,
    targets:
      size === TARGET_SIZE
        ? [
            exactly('revisions built incrementally', revised.build_kind === 'incremental' ? 1 : 0, 1),
            atMost('incremental input tokens / full', round(inputShare), TARGET_SHARE, ''),
            atMost('incremental tokens in and out / full', round(totalShare), TARGET_SHARE, ''),
          ]
        : [],
  };
}

async function generate(app: App, userId: string, priority: 'miss' | 'manual'): Promise<NarrativeRow> {
  const outcome = await app.engine.runner.request(userId, priority, { force: priority === 'manual' }).done;
  if (outcome.status !== 'written') throw new Error(`bench: the narrative was not written: ${JSON.stringify(outcome)}`);
  return outcome.narrative;
}

/**
 * `count` memories of one person in time order, from the LoCoMo memories: each LoCoMo user's own
 * name becomes the user's, the other people they speak of take other names on each pass over the
 * data, and each pass is dated two years before the next (the years the memories name move with it,
 * and a memory naming none says its year, so the passes differ). A text said again is left out, as
 * `add_memories` leaves it out, and the newest `count` kept.
 */
async function syntheticMemories(count: number): Promise<MemoryInput[]> {
  const locomo = await loadLocomo();
  const speakers = [...new Set(locomo.users.map(firstName))];
  const total = locomo.users.reduce((sum, user) => sum + locomo.memoriesOf(user).length, 0);
  // A spare pass: some texts come back (the same fact told of two LoCoMo users).
  const passes = Math.ceil(count / total) + 1;
  const memories: MemoryInput[] = [];
  for (let pass = 0; pass < passes; pass += 1) {
    const yearsBack = 2 * (passes - 1 - pass);
    const others = new Map(speakers.map((speaker, index) => [speaker, OTHER_NAMES[(index + pass * 7) % OTHER_NAMES.length]!]));
    for (const user of locomo.users) {
      const names = new Map([...others, [firstName(user), USER_NAME]]);
      for (const memory of locomo.memoriesOf(user)) {
        const createdAt = new Date(memory.created_at!.getTime() - yearsBack * YEAR_MS);
        const content = memory.content
          .replace(/\b20\d\d\b/g, (year) => String(Number(year) - yearsBack))
          .replace(/\b[A-Z][a-z]+\b/g, (word) => names.get(word) ?? word);
        memories.push({ content: pass === passes - 1 ? content : `${content} (${createdAt.getUTCFullYear()})`, created_at: createdAt });
      }
    }
  }
  const seen = new Set<string>();
  return memories
    .sort((a, b) => a.created_at!.getTime() - b.created_at!.getTime())
    .filter((memory) => {
      const text = memory.content.toLowerCase().replace(/\s+/g, ' ');
      if (seen.has(text)) return false;
      seen.add(text);
      return true;
    })
    .slice(-count);
}

/** `locomo-26-caroline` → `Caroline`. */
function firstName(user: string): string {
  const name = user.split('-').at(-1)!;
  return name[0]!.toUpperCase() + name.slice(1);
}
