import type { AnalysisRequest, LlmOutput, LlmProvider, NarrativeRequest } from '../src/llm/llm-provider.js';

/** A zero-latency LLM: answers at once with a short text, so a benchmark measures everything but the model. */
export class InstantProvider implements LlmProvider {
  readonly name = 'instant';
  readonly rateLimited = false;
  readonly memoryBudgetChars = 60_000;

  async writeNarrative(request: NarrativeRequest): Promise<LlmOutput> {
    return {
      text: `${request.user.externalId}, from ${request.memories.length} memories.`,
      model: 'instant-1',
      memoryIds: request.memories.map((memory) => memory.id),
    };
  }

  async analyze(request: AnalysisRequest): Promise<LlmOutput> {
    return { text: `Nothing to add about "${request.message}".`, model: 'instant-1', memoryIds: [] };
  }
}
