import type { Config } from '../config/config.js';
import { GeminiProvider } from './gemini-provider.js';
import type { LlmProvider } from './llm-provider.js';
import { OfflineProvider } from './offline/offline-provider.js';

/** Gemini when a key is configured; otherwise the built-in offline provider. */
export function createLlmProvider(config: Config): LlmProvider {
  if (!config.GEMINI_API_KEY) return new OfflineProvider();
  return new GeminiProvider({
    apiKey: config.GEMINI_API_KEY,
    baseUrl: config.GEMINI_BASE_URL,
    narrativeModel: config.GEMINI_NARRATIVE_MODEL,
    analysisModel: config.GEMINI_ANALYSIS_MODEL,
  });
}
