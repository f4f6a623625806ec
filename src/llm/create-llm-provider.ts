import type { Config } from '../config/config.js';
import type { LlmProvider } from './llm-provider.js';
import { OfflineProvider } from './offline/offline-provider.js';

/**
 * The provider `LLM_PROVIDER` names (the configuration has resolved and checked it). Each remote
 * provider's SDK is loaded only when it is the one named: together they would add tens of MB to
 * every process.
 */
export async function createLlmProvider(config: Config): Promise<LlmProvider> {
  const budget = config.LLM_PROMPT_BUDGET_CHARS === undefined ? {} : { memoryBudgetChars: config.LLM_PROMPT_BUDGET_CHARS };
  switch (config.LLM_PROVIDER) {
    case 'offline':
      return new OfflineProvider();
    case 'gemini': {
      const { GeminiProvider } = await import('./gemini-provider.js');
      return new GeminiProvider({
        apiKey: required(config.GEMINI_API_KEY, 'GEMINI_API_KEY'),
        baseUrl: config.GEMINI_BASE_URL,
        narrativeModel: config.LLM_NARRATIVE_MODEL ?? config.GEMINI_NARRATIVE_MODEL,
        analysisModel: config.LLM_ANALYSIS_MODEL ?? config.GEMINI_ANALYSIS_MODEL,
        ...budget,
      });
    }
    case 'openai': {
      const { OPENAI_DEFAULT_MODELS, OpenAiProvider } = await import('./openai-provider.js');
      return new OpenAiProvider({
        ...(config.OPENAI_API_KEY === undefined ? {} : { apiKey: config.OPENAI_API_KEY }),
        ...(config.OPENAI_BASE_URL === undefined ? {} : { baseUrl: config.OPENAI_BASE_URL }),
        narrativeModel: config.LLM_NARRATIVE_MODEL ?? OPENAI_DEFAULT_MODELS.narrative,
        analysisModel: config.LLM_ANALYSIS_MODEL ?? OPENAI_DEFAULT_MODELS.analysis,
        ...budget,
      });
    }
    case 'anthropic': {
      const { ANTHROPIC_DEFAULT_MODELS, AnthropicProvider } = await import('./anthropic-provider.js');
      return new AnthropicProvider({
        apiKey: required(config.ANTHROPIC_API_KEY, 'ANTHROPIC_API_KEY'),
        ...(config.ANTHROPIC_BASE_URL === undefined ? {} : { baseUrl: config.ANTHROPIC_BASE_URL }),
        narrativeModel: config.LLM_NARRATIVE_MODEL ?? ANTHROPIC_DEFAULT_MODELS.narrative,
        analysisModel: config.LLM_ANALYSIS_MODEL ?? ANTHROPIC_DEFAULT_MODELS.analysis,
        ...budget,
      });
    }
  }
}

function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new Error(`${name} is not set, which the configuration should have refused`);
  return value;
}
