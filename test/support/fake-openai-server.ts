import type { ServerResponse } from 'node:http';
import { fakeTokenCount, header, retryHeaders, sendJson, startFakeLlmServer, type FailureOf, type FakeLlmServer } from './fake-llm-server.js';

/** One `chat/completions` call as the fake received it. */
export interface FakeOpenAiRequest {
  path: string;
  model: string;
  /** The `Authorization` header, if any. */
  authorization: string | undefined;
  /** The parsed JSON body, exactly as the SDK sent it. */
  body: ChatCompletionBody;
  /** The system messages' text, joined. */
  system: string;
  /** The user messages' text, joined: what the model is asked about. */
  prompt: string;
}

interface ChatCompletionBody {
  model?: string;
  messages?: { role?: string; content?: unknown }[];
  [key: string]: unknown;
}

/** What the fake does with one call. */
export type FakeOpenAiOutcome =
  | { kind: 'text'; text: string }
  | { kind: 'error'; status: number; message?: string; type?: string; code?: string; retryAfter?: string; retryAfterMs?: string }
  /** An answer as the server shapes it: content (null or absent when `undefined`), finish reason, refusal, usage or none. */
  | { kind: 'answer'; content?: string | null; finishReason?: string; refusal?: string; usage?: boolean }
  /** A 200 whose `choices` is empty. */
  | { kind: 'no-choices' }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'reset' };

export type FakeOpenAiFailure = FailureOf<FakeOpenAiOutcome>;

export interface FakeOpenAi extends FakeLlmServer<FakeOpenAiRequest, FakeOpenAiOutcome> {
  /** `http://127.0.0.1:PORT/v1`: the base URL to give the SDK. */
  readonly url: string;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'invalid_request_error',
  403: 'invalid_request_error',
  404: 'invalid_request_error',
  429: 'requests',
  500: 'server_error',
  503: 'server_error',
};

/**
 * An OpenAI-compatible server on 127.0.0.1 speaking the REST protocol the `openai` SDK uses:
 * `POST /v1/chat/completions`, non-streaming JSON with `choices` and `usage`, errors as
 * `{error: {message, type, code}}`. With `apiKey` set, a call without `Authorization: Bearer
 * <apiKey>` is refused with 401 the way OpenAI refuses it; without, any header is accepted, as
 * Ollama does.
 */
export async function startFakeOpenAi(options: { apiKey?: string; latencyMs?: number } = {}): Promise<FakeOpenAi> {
  const server = await startFakeLlmServer<FakeOpenAiRequest, FakeOpenAiOutcome>(
    {
      read(incoming, path, raw) {
        if (incoming.method !== 'POST' || path !== '/v1/chat/completions') {
          return { status: 404, body: errorBody({ status: 404, message: `Unknown request URL: ${incoming.method} ${path}.` }) };
        }
        const body = JSON.parse(raw) as ChatCompletionBody;
        const messages = body.messages ?? [];
        const textOf = (role: string) =>
          messages.filter((message) => message.role === role).map((message) => String(message.content)).join('\n');
        return {
          path,
          model: String(body.model),
          authorization: header(incoming, 'authorization'),
          body,
          system: textOf('system'),
          prompt: textOf('user'),
        };
      },
      refuse(request) {
        if (options.apiKey === undefined || request.authorization === `Bearer ${options.apiKey}`) return undefined;
        return {
          status: 401,
          body: errorBody({ status: 401, message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' }),
        };
      },
      send,
      defaultText: (request) => `A narrative written by ${request.model}.`,
    },
    options,
  );
  return Object.assign(Object.create(server) as FakeLlmServer<FakeOpenAiRequest, FakeOpenAiOutcome>, { url: `${server.origin}/v1` });
}

function send(response: ServerResponse, request: FakeOpenAiRequest, outcome: Exclude<FakeOpenAiOutcome, { kind: 'hang' | 'malformed' | 'reset' }>): void {
  switch (outcome.kind) {
    case 'text':
      sendJson(response, 200, completion(request, { content: outcome.text }));
      return;
    case 'answer':
      sendJson(response, 200, completion(request, outcome));
      return;
    case 'no-choices':
      sendJson(response, 200, { ...completion(request, { content: '' }), choices: [] });
      return;
    case 'error':
      sendJson(response, outcome.status, errorBody(outcome), retryHeaders(outcome));
      return;
  }
}

function completion(
  request: FakeOpenAiRequest,
  answer: { content?: string | null; finishReason?: string; refusal?: string; usage?: boolean },
): Record<string, unknown> {
  const content = answer.content === undefined ? null : answer.content;
  const promptTokens = fakeTokenCount(request.system + request.prompt);
  const completionTokens = fakeTokenCount(content ?? answer.refusal ?? '');
  return {
    id: `chatcmpl-fake${Math.random().toString(36).slice(2)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: answer.refusal ?? null },
        finish_reason: answer.finishReason ?? 'stop',
        logprobs: null,
      },
    ],
    ...(answer.usage === false
      ? {}
      : { usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } }),
  };
}

function errorBody(failure: FakeOpenAiFailure): object {
  return {
    error: {
      message: failure.message ?? `The fake answered ${failure.status}.`,
      type: failure.type ?? ERROR_TYPES[failure.status] ?? 'api_error',
      param: null,
      code: failure.code ?? null,
    },
  };
}
