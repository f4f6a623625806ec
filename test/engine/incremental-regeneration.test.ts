import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { prompts } from '../../src/llm/prompts.js';
import { startFakeOpenAi, type FakeOpenAi } from '../support/fake-openai-server.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';

const DAY_MS = 86_400_000;

const FIRST_FACTS = [
  'Mara restores old bicycles in her garage.',
  'Mara teaches chemistry at a high school.',
  'Mara has a cat called Bismuth.',
  'Mara is saving for a trip to Japan.',
  'Mara sings in a community choir.',
];

const NEWS = ['Bismuth the cat had three kittens.', 'Mara booked her flights to Japan for April.'];

const FIRST_NARRATIVE = '## Who they are\nMara teaches chemistry and restores bicycles.';

describe.each(DATABASES)('incremental regeneration on %s', (kind) => {
  const closers: (() => Promise<void>)[] = [];
  let app: App;
  let clock: ManualClock;
  let fake: FakeOpenAi;
  let userId: string;

  async function open(env: Record<string, string> = {}, options: { offline?: boolean } = {}): Promise<void> {
    clock = new ManualClock(new Date('2026-03-01T12:00:00Z'));
    fake = await startFakeOpenAi();
    closers.push(() => fake.close());
    fake.respondWith((request) => (request.system === prompts.revisionInstruction ? 'A revised narrative.' : FIRST_NARRATIVE));
    app = await openTestApp(
      kind,
      {
        LLM_MAX_RETRIES: '0',
        NARRATIVE_INVALIDATE_AFTER_NEW_MEMORIES: '2',
        ...(options.offline ? {} : { OPENAI_BASE_URL: fake.url }),
        ...env,
      },
      { clock },
    );
    closers.push(() => app.close({ graceMs: 0 }));
    userId = (await app.repositories.users.getOrCreate('mara')).id;
    await app.engine.memories.add(userId, FIRST_FACTS.map((content) => ({ content })), 'test');
  }

  async function generate(priority: 'miss' | 'manual' = 'miss') {
    const outcome = await app.engine.runner.request(userId, priority, { force: priority === 'manual' }).done;
    expect(outcome.status).toBe('written');
    return (await app.repositories.narratives.get(userId))!;
  }

  async function tellNews(): Promise<void> {
    await clock.advance(DAY_MS);
    await app.engine.memories.add(userId, NEWS.map((content) => ({ content })), 'test');
  }

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('builds the first narrative in full and records its kind and tokens', async () => {
    await open();

    const first = await generate();

    expect(fake.requests[0]!.system).toBe(prompts.narrativeInstruction);
    const expectedInput = Math.ceil((fake.requests[0]!.system.length + fake.requests[0]!.prompt.length) / 4);
    expect(first).toMatchObject({ build_kind: 'full', last_full_build_at: first.generated_at, input_tokens: expectedInput });
    expect((await app.engine.status.status(userId)).narrative).toMatchObject({
      build_kind: 'full',
      last_full_build_at: first.generated_at.toISOString(),
      tokens: { input: expectedInput, output: Math.ceil(FIRST_NARRATIVE.length / 4) },
    });
  });

  it('revises the narrative with only the added memories and the older ones related to them', async () => {
    await open();
    const first = await generate();
    await tellNews();

    const revised = await generate();

    const sent = fake.requests[1]!;
    expect(sent.system).toBe(prompts.revisionInstruction);
    expect(sent.prompt).toContain(`${prompts.narrativeBegin}\n${FIRST_NARRATIVE}\n${prompts.narrativeEnd}`);
    for (const news of NEWS) expect(sent.prompt).toContain(news);
    expect(sent.prompt).toContain('Mara has a cat called Bismuth.');
    expect(sent.prompt).toContain('Mara is saving for a trip to Japan.');
    expect(sent.prompt).not.toContain('choir');
    expect(sent.prompt).not.toContain('chemistry at a high school');

    expect(revised).toMatchObject({
      narrative_content: 'A revised narrative.',
      version: 2,
      build_kind: 'incremental',
      last_full_build_at: first.generated_at,
      memories_added_since: 0,
      input_tokens: Math.ceil((sent.system.length + sent.prompt.length) / 4),
    });
    // Still built from what the first version stood on, so forgetting any of it rebuilds in full.
    expect(revised.source_memory_ids).toEqual(expect.arrayContaining(first.source_memory_ids));
    expect(revised.source_memory_ids).toHaveLength(FIRST_FACTS.length + NEWS.length);
    expect((await app.engine.status.status(userId)).narrative).toMatchObject({ build_kind: 'incremental', tokens: { input: revised.input_tokens } });
  });

  it('rebuilds in full once a memory it was built from is deleted', async () => {
    await open();
    await generate();
    await tellNews();
    const [choir] = (await app.repositories.memories.newestWithSeq(userId, 100)).filter((memory) => memory.content.includes('choir'));
    // The deletion asks for a new version itself.
    await app.engine.memories.delete(userId, [choir!.id]);
    await app.engine.runner.onIdle();

    const rebuilt = (await app.repositories.narratives.get(userId))!;

    expect(fake.requests[1]!.system).toBe(prompts.narrativeInstruction);
    expect(fake.requests[1]!.prompt).not.toContain('choir');
    expect(rebuilt).toMatchObject({ build_kind: 'full', last_full_build_at: rebuilt.generated_at });
  });

  it('rebuilds in full, from the new text, once a memory it was built from is updated', async () => {
    await open();
    await generate();
    await tellNews();
    const [choir] = (await app.repositories.memories.newestWithSeq(userId, 100)).filter((memory) => memory.content.includes('choir'));
    // The update asks for a new version itself.
    await app.engine.memories.update(userId, [{ id: choir!.id, content: 'Mara conducts a community choir.' }]);
    await app.engine.runner.onIdle();

    const rebuilt = (await app.repositories.narratives.get(userId))!;

    expect(fake.requests[1]!.system).toBe(prompts.narrativeInstruction);
    expect(fake.requests[1]!.prompt).toContain('Mara conducts a community choir.');
    expect(fake.requests[1]!.prompt).not.toContain('Mara sings in a community choir.');
    expect(rebuilt).toMatchObject({ build_kind: 'full', invalidated_at: null });
  });

  it('outdates a revision when a memory of the version it revises is updated while it is written', async () => {
    await open();
    await generate();
    await tellNews();
    const release = fake.hold();
    const revising = app.engine.runner.request(userId, 'miss');
    await fake.waitForCalls(2);
    const [choir] = (await app.repositories.memories.newestWithSeq(userId, 100)).filter((memory) => memory.content.includes('choir'));
    await app.engine.memories.update(userId, [{ id: choir!.id, content: 'Mara conducts a community choir.' }]);
    release();
    const releaseNext = fake.hold();

    expect((await revising.done).status).toBe('written');
    expect(fake.requests[1]!.system).toBe(prompts.revisionInstruction);
    expect(fake.requests[1]!.prompt).not.toContain('choir');
    expect(await app.repositories.narratives.get(userId)).toMatchObject({ version: 2, build_kind: 'incremental', invalidated_reason: 'memory_updated' });

    releaseNext();
    await app.engine.runner.onIdle();
    expect(fake.requests[2]!.system).toBe(prompts.narrativeInstruction);
    expect(await app.repositories.narratives.get(userId)).toMatchObject({ version: 3, build_kind: 'full', invalidated_at: null });
  });

  it('rebuilds in full once NARRATIVE_FULL_REBUILD_DAYS have passed since the last full build', async () => {
    await open({ NARRATIVE_FULL_REBUILD_DAYS: '3', NARRATIVE_TTL_DAYS: '30' });
    const first = await generate();
    await tellNews();
    expect(await generate()).toMatchObject({ build_kind: 'incremental', last_full_build_at: first.generated_at });

    await clock.advance(2 * DAY_MS);
    await app.engine.memories.add(userId, [{ content: 'Mara joined a climbing gym.' }, { content: 'Mara adopted a second cat.' }], 'test');
    const rebuilt = await generate();

    expect(fake.requests[2]!.system).toBe(prompts.narrativeInstruction);
    expect(rebuilt).toMatchObject({ build_kind: 'full', last_full_build_at: rebuilt.generated_at });
  });

  it('rebuilds in full when a person asks for a new narrative', async () => {
    await open();
    await generate();
    await tellNews();

    expect(await generate('manual')).toMatchObject({ build_kind: 'full' });
    expect(fake.requests[1]!.system).toBe(prompts.narrativeInstruction);
  });

  it('always builds in full with the offline provider, which reports no tokens', async () => {
    await open({}, { offline: true });
    await generate();
    await tellNews();

    const second = await generate();

    expect(app.engine.provider.name).toBe('offline');
    expect(second).toMatchObject({ version: 2, build_kind: 'full', input_tokens: null, output_tokens: null });
    expect(fake.calls).toBe(0);
  });

  it('counts the tokens of every call in /metrics by task and direction', async () => {
    await open();
    await generate();
    await tellNews();
    await generate();

    const { metrics } = app.engine;
    const [full, revision] = fake.requests.map((request) => Math.ceil((request.system.length + request.prompt.length) / 4));
    expect(await metrics.count(metrics.llmTokens, { provider: 'openai', task: 'narrative', direction: 'input' })).toBe(full);
    expect(await metrics.count(metrics.llmTokens, { provider: 'openai', task: 'revision', direction: 'input' })).toBe(revision);
    expect(await metrics.count(metrics.llmTokens, { task: 'revision', direction: 'output' })).toBe(Math.ceil('A revised narrative.'.length / 4));
    expect(await metrics.registry.metrics()).toContain('narrative_llm_tokens_total{provider="openai",task="revision",direction="input"}');
  });

  it("counts the tokens of a conversation start's analysis as its own task", async () => {
    await open();

    expect((await app.engine.context.orchestrate(userId, 'Any plans for the cat?', true)).source).toBe('deep_analysis');
    await app.engine.runner.onIdle();

    const analysis = fake.requests.find((request) => request.system === prompts.analysisInstruction)!;
    const { metrics } = app.engine;
    expect(await metrics.count(metrics.llmTokens, { task: 'analysis', direction: 'input' })).toBe(
      Math.ceil((analysis.system.length + analysis.prompt.length) / 4),
    );
  });
});
