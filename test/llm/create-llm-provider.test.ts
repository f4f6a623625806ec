import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createLlmProvider } from '../../src/llm/create-llm-provider.js';
import type { NarrativeRequest } from '../../src/llm/llm-provider.js';
import { startFakeAnthropic } from '../support/fake-anthropic-server.js';
import { startFakeGemini } from '../support/fake-gemini-server.js';
import { startFakeOpenAi } from '../support/fake-openai-server.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function narrativeRequest(): NarrativeRequest {
  return {
    user: { externalId: 'ana', displayName: 'Ana' },
    memories: [{ id: 'memory-1', content: 'Ana paints watercolours.', createdAt: new Date('2026-02-01T00:00:00Z') }],
    now: new Date('2026-03-01T00:00:00Z'),
    signal: new AbortController().signal,
  };
}

/** The models a provider built from `env` asks for, narrative then analysis, as its fake server saw them. */
async function modelsAskedFor(env: Record<string, string>, fake: { requests: readonly { model: string }[] }): Promise<string[]> {
  const provider = await createLlmProvider(loadConfig(env));
  await provider.writeNarrative(narrativeRequest());
  await provider.analyze({ ...narrativeRequest(), message: 'hi' });
  return fake.requests.map((request) => request.model);
}

describe('createLlmProvider', () => {
  it('is offline with nothing configured', async () => {
    expect((await createLlmProvider(loadConfig({}))).name).toBe('offline');
  });

  it('keeps GEMINI_*_MODEL working, and LLM_*_MODEL overrides them', async () => {
    const fake = await startFakeGemini();
    closers.push(() => fake.close());
    const env = { GEMINI_API_KEY: 'g', GEMINI_BASE_URL: fake.url, GEMINI_NARRATIVE_MODEL: 'gemini-old-pro' };

    expect(await modelsAskedFor(env, fake)).toEqual(['gemini-old-pro', 'gemini-2.5-flash']);
    expect(await modelsAskedFor({ ...env, LLM_NARRATIVE_MODEL: 'gemini-new-pro', LLM_ANALYSIS_MODEL: 'gemini-new-flash' }, fake)).toEqual([
      'gemini-old-pro',
      'gemini-2.5-flash',
      'gemini-new-pro',
      'gemini-new-flash',
    ]);
  });

  it('builds the OpenAI-compatible provider with its default models, or the configured ones, and the configured budget', async () => {
    const fake = await startFakeOpenAi();
    closers.push(() => fake.close());

    expect(await modelsAskedFor({ OPENAI_BASE_URL: fake.url }, fake)).toEqual(['gpt-5.4', 'gpt-5.4-mini']);
    expect(await modelsAskedFor({ OPENAI_BASE_URL: fake.url, LLM_NARRATIVE_MODEL: 'qwen2.5:7b', LLM_ANALYSIS_MODEL: 'llama3.2:3b' }, fake)).toEqual([
      'gpt-5.4',
      'gpt-5.4-mini',
      'qwen2.5:7b',
      'llama3.2:3b',
    ]);
    const provider = await createLlmProvider(loadConfig({ OPENAI_BASE_URL: fake.url, LLM_PROMPT_BUDGET_CHARS: '12000' }));
    expect(provider).toMatchObject({ name: 'openai', memoryBudgetChars: 12_000, rateLimited: true });
    expect((await createLlmProvider(loadConfig({ OPENAI_API_KEY: 'sk' }))).memoryBudgetChars).toBe(60_000);
  });

  it('builds the Anthropic provider with a Sonnet and a Haiku unless told otherwise', async () => {
    const fake = await startFakeAnthropic({ apiKey: 'sk-ant' });
    closers.push(() => fake.close());

    expect(await modelsAskedFor({ ANTHROPIC_API_KEY: 'sk-ant', ANTHROPIC_BASE_URL: fake.url }, fake)).toEqual(['claude-sonnet-5-5', 'claude-haiku-5-5']);
    expect(await createLlmProvider(loadConfig({ ANTHROPIC_API_KEY: 'sk-ant', LLM_PROMPT_BUDGET_CHARS: '30000' }))).toMatchObject({
      name: 'anthropic',
      memoryBudgetChars: 30_000,
    });
  });

  it('gives Gemini the configured budget too', async () => {
    expect((await createLlmProvider(loadConfig({ GEMINI_API_KEY: 'g' }))).memoryBudgetChars).toBe(60_000);
    expect((await createLlmProvider(loadConfig({ GEMINI_API_KEY: 'g', LLM_PROMPT_BUDGET_CHARS: '9000' }))).memoryBudgetChars).toBe(9_000);
  });
});
