import { describe } from 'vitest';
import { geminiHarness } from './gemini-provider-harness.js';
import { remoteProviderWithRetriesContract } from './remote-provider-with-retries-contract.js';

describe('GeminiProvider under callWithRetries', () => {
  remoteProviderWithRetriesContract(geminiHarness);
});
