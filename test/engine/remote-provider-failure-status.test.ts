import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { startFakeAnthropic } from '../support/fake-anthropic-server.js';
import { startFakeOpenAi } from '../support/fake-openai-server.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';

const FACTS = [
  'Mara restores old bicycles.',
  'Mara teaches chemistry at a high school.',
  'Mara has a cat called Bismuth.',
  'Mara is saving for a trip to Japan.',
  'Mara sings in a community choir.',
];

describe.each(DATABASES)('the OpenAI-compatible and Anthropic providers seen through the engine on %s', (kind) => {
  const closers: (() => Promise<void>)[] = [];
  let app: App;

  async function openWith(env: Record<string, string>): Promise<string> {
    app = await openTestApp(kind, { LLM_MAX_RETRIES: '0', ...env }, { clock: new ManualClock(new Date('2026-03-01T12:00:00Z')) });
    closers.push(() => app.close({ graceMs: 0 }));
    const userId = (await app.repositories.users.getOrCreate('mara')).id;
    await app.engine.memories.add(userId, FACTS.map((content) => ({ content })), 'test');
    return userId;
  }

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('writes the narrative with a local server that needs no key, under the configured model', async () => {
    const fake = await startFakeOpenAi();
    closers.push(() => fake.close());
    fake.respondWith('Mara is a chemistry teacher who restores bicycles.');
    const userId = await openWith({ OPENAI_BASE_URL: fake.url, LLM_NARRATIVE_MODEL: 'llama3.2:3b' });

    expect(await app.engine.runner.request(userId, 'miss').done).toMatchObject({
      status: 'written',
      narrative: { version: 1, narrative_content: 'Mara is a chemistry teacher who restores bicycles.', model: 'llama3.2:3b' },
    });
    expect(app.engine.provider.name).toBe('openai');
    expect(fake.requests[0]!.authorization).toBeUndefined();
  });

  it('shows in narrative_status that nothing listens at the configured base URL', async () => {
    const gone = await startFakeOpenAi();
    await gone.close();
    const userId = await openWith({ OPENAI_BASE_URL: gone.url });

    expect(await app.engine.runner.request(userId, 'miss').done).toMatchObject({ status: 'failed', kind: 'network' });

    const status = await app.engine.status.status(userId);
    expect(status.last_failure).toMatchObject({ kind: 'network' });
    expect(status.last_failure!.message).toBe(`Could not reach the OpenAI-compatible server at ${gone.url}: connection refused (gave up after 1 attempt)`);
  });

  it('shows a prompt too long for the model in narrative_status, tried once whatever the retry budget', async () => {
    const fake = await startFakeAnthropic({ apiKey: 'sk-ant' });
    closers.push(() => fake.close());
    fake.failWhen(() => true, { kind: 'error', status: 400, message: 'prompt is too long: 215000 tokens > 200000 maximum' });
    const userId = await openWith({ ANTHROPIC_API_KEY: 'sk-ant', ANTHROPIC_BASE_URL: fake.url, LLM_MAX_RETRIES: '3', LLM_PROMPT_BUDGET_CHARS: '50000' });

    expect(await app.engine.runner.request(userId, 'miss').done).toMatchObject({ status: 'failed', kind: 'context_length' });

    expect(fake.calls).toBe(1);
    const failure = (await app.engine.status.status(userId)).last_failure!;
    expect(failure.kind).toBe('context_length');
    expect(failure.message).toContain('lower LLM_PROMPT_BUDGET_CHARS, now 50000 characters');
    expect(await app.repositories.narratives.get(userId)).toBeUndefined();
  });
});
