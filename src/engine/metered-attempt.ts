import type { CallRateLimiter } from '../llm/call-rate-limiter.js';
import type { LlmOutput, LlmProvider } from '../llm/llm-provider.js';
import type { EngineMetrics } from './engine-metrics.js';
import { JOB_PRIORITIES, type JobPriority } from './job-priority.js';

/** What an LLM call is for: a narrative built in full, one revised, or a conversation start's analysis. */
export type LlmTask = 'narrative' | 'revision' | 'analysis';

/**
 * One LLM attempt as every caller makes it: wait for a slot under the per-minute limit (when the
 * provider is rate limited; higher priorities first), call, and count the call by purpose and
 * outcome, and the tokens it reported. Pass the result to `callWithRetries`.
 */
export function meteredAttempt<T extends Pick<LlmOutput, 'usage'>>(
  deps: { provider: LlmProvider; limiter: CallRateLimiter; metrics: EngineMetrics },
  purpose: LlmTask,
  priority: JobPriority,
  call: (signal: AbortSignal) => Promise<T>,
): (signal: AbortSignal) => Promise<T> {
  return async (signal) => {
    if (deps.provider.rateLimited) await deps.limiter.acquire(JOB_PRIORITIES[priority], signal);
    const labels = { provider: deps.provider.name, purpose };
    try {
      const result = await call(signal);
      deps.metrics.llmCalls.inc({ ...labels, outcome: 'ok' });
      if (result.usage) {
        const tokens = { provider: deps.provider.name, task: purpose };
        deps.metrics.llmTokens.inc({ ...tokens, direction: 'input' }, result.usage.inputTokens);
        deps.metrics.llmTokens.inc({ ...tokens, direction: 'output' }, result.usage.outputTokens);
      }
      return result;
    } catch (error) {
      deps.metrics.llmCalls.inc({ ...labels, outcome: 'error' });
      throw error;
    }
  };
}
