import type { CallRateLimiter } from '../llm/call-rate-limiter.js';
import type { LlmProvider } from '../llm/llm-provider.js';
import type { EngineMetrics } from './engine-metrics.js';
import { JOB_PRIORITIES, type JobPriority } from './job-priority.js';

/**
 * One LLM attempt as every caller makes it: wait for a slot under the per-minute limit (when the
 * provider is rate limited; higher priorities first), call, and count the call by purpose and
 * outcome. Pass the result to `callWithRetries`.
 */
export function meteredAttempt<T>(
  deps: { provider: LlmProvider; limiter: CallRateLimiter; metrics: EngineMetrics },
  purpose: 'narrative' | 'analysis',
  priority: JobPriority,
  call: (signal: AbortSignal) => Promise<T>,
): (signal: AbortSignal) => Promise<T> {
  return async (signal) => {
    if (deps.provider.rateLimited) await deps.limiter.acquire(JOB_PRIORITIES[priority], signal);
    const labels = { provider: deps.provider.name, purpose };
    try {
      const result = await call(signal);
      deps.metrics.llmCalls.inc({ ...labels, outcome: 'ok' });
      return result;
    } catch (error) {
      deps.metrics.llmCalls.inc({ ...labels, outcome: 'error' });
      throw error;
    }
  };
}
