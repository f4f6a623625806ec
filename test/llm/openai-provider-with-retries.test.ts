import { describe } from 'vitest';
import { openAiHarness } from './openai-provider-harness.js';
import { remoteProviderWithRetriesContract } from './remote-provider-with-retries-contract.js';

describe('OpenAiProvider under callWithRetries', () => {
  remoteProviderWithRetriesContract(openAiHarness);
});
