import type { Config } from '../config/config.js';

export interface RetryPolicy {
  maxRetries: number;
  timeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export function retryPolicyFrom(config: Config): RetryPolicy {
  return { maxRetries: config.LLM_MAX_RETRIES, timeoutMs: config.LLM_TIMEOUT_MS, baseDelayMs: 1_000, maxDelayMs: 30_000 };
}
