import type { ServerResponse } from 'node:http';
import { fakeTokenCount, header, retryHeaders, sendJson, startFakeLlmServer, type FailureOf, type FakeLlmServer } from './fake-llm-server.js';

/** One `messages` call as the fake received it. */
export interface FakeAnthropicRequest {
  path: string;
  model: string;
  /** The key: the `x-api-key` header, or the bearer token that SDK 1.x sends instead. */
  apiKey: string | undefined;
  /** The `anthropic-version` header. */
  version: string;
  /** The parsed JSON body, exactly as the SDK sent it. */
  body: MessagesBody;
  /** The system prompt's text. */
  system: string;
  /** The user messages' text, joined: what the model is asked about. */
  prompt: string;
}

interface MessagesBody {
  model?: string;
  system?: string | { type?: string; text?: string }[];
  messages?: { role?: string; content?: string | { type?: string; text?: string }[] }[];
  max_tokens?: number;
  [key: string]: unknown;
}

/** What the fake does with one call. */
export type FakeAnthropicOutcome =
  | { kind: 'text'; text: string }
  | { kind: 'error'; status: number; type?: string; message?: string; retryAfter?: string }
  /** A message with these text blocks (none: an empty `content`) and stop reason, and a thinking block first if asked. */
  | { kind: 'message'; texts?: string[]; stopReason?: string; thinking?: boolean; cacheReadTokens?: number }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'reset' };

export type FakeAnthropicFailure = FailureOf<FakeAnthropicOutcome>;

export interface FakeAnthropic extends FakeLlmServer<FakeAnthropicRequest, FakeAnthropicOutcome> {
  /** `http://127.0.0.1:PORT`: the base URL to give the SDK. */
  readonly url: string;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/**
 * The Anthropic API on 127.0.0.1 speaking the REST protocol `@anthropic-ai/sdk` uses:
 * `POST /v1/messages` with the key in `x-api-key` (or as a bearer token, as SDK 1.x sends it) and a required `anthropic-version` header,
 * answering with text blocks, `stop_reason` and `usage`, or `{type: "error", error: {type,
 * message}}`. With `apiKey` set, another key is refused with 401 `authentication_error`.
 */
export async function startFakeAnthropic(options: { apiKey?: string; latencyMs?: number } = {}): Promise<FakeAnthropic> {
  const server = await startFakeLlmServer<FakeAnthropicRequest, FakeAnthropicOutcome>(
    {
      read(incoming, path, raw) {
        if (incoming.method !== 'POST' || path !== '/v1/messages') {
          return { status: 404, body: errorBody({ status: 404, message: `Not found: ${incoming.method} ${path}` }) };
        }
        const version = header(incoming, 'anthropic-version');
        if (!version) return { status: 400, body: errorBody({ status: 400, message: 'anthropic-version: header is required' }) };
        const body = JSON.parse(raw) as MessagesBody;
        const textOf = (content: MessagesBody['system']) =>
          typeof content === 'string' ? content : (content ?? []).map((block) => block.text ?? '').join('\n');
        return {
          path,
          model: String(body.model),
          apiKey: header(incoming, 'x-api-key') ?? /^Bearer (.+)$/.exec(header(incoming, 'authorization') ?? '')?.[1],
          version,
          body,
          system: textOf(body.system),
          prompt: (body.messages ?? []).filter((message) => message.role === 'user').map((message) => textOf(message.content)).join('\n'),
        };
      },
      refuse(request) {
        if (options.apiKey === undefined || request.apiKey === options.apiKey) return undefined;
        return { status: 401, body: errorBody({ status: 401, message: 'invalid x-api-key' }) };
      },
      send,
      defaultText: (request) => `A narrative written by ${request.model}.`,
    },
    options,
  );
  return Object.assign(Object.create(server) as FakeLlmServer<FakeAnthropicRequest, FakeAnthropicOutcome>, { url: server.origin });
}

function send(
  response: ServerResponse,
  request: FakeAnthropicRequest,
  outcome: Exclude<FakeAnthropicOutcome, { kind: 'hang' | 'malformed' | 'reset' }>,
): void {
  switch (outcome.kind) {
    case 'text':
      sendJson(response, 200, message(request, { texts: [outcome.text] }));
      return;
    case 'message':
      sendJson(response, 200, message(request, outcome));
      return;
    case 'error':
      sendJson(response, outcome.status, errorBody(outcome), retryHeaders(outcome));
      return;
  }
}

function message(request: FakeAnthropicRequest, answer: { texts?: string[]; stopReason?: string; thinking?: boolean; cacheReadTokens?: number }): object {
  const texts = answer.texts ?? [];
  const thinking = answer.thinking ? [{ type: 'thinking', thinking: 'Let me consider the memories.', signature: 'fake' }] : [];
  const inputTokens = fakeTokenCount(request.system + request.prompt);
  return {
    id: `msg_fake${Math.random().toString(36).slice(2)}`,
    type: 'message',
    role: 'assistant',
    model: request.model,
    content: [...thinking, ...texts.map((text) => ({ type: 'text', text }))],
    stop_reason: answer.stopReason ?? 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: inputTokens, output_tokens: fakeTokenCount(texts.join('')), cache_creation_input_tokens: 0, cache_read_input_tokens: answer.cacheReadTokens ?? 0 },
  };
}

function errorBody(failure: FakeAnthropicFailure): object {
  return {
    type: 'error',
    error: { type: failure.type ?? ERROR_TYPES[failure.status] ?? 'api_error', message: failure.message ?? `The fake answered ${failure.status}.` },
  };
}
