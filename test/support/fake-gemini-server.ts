import type { ServerResponse } from 'node:http';
import { fakeTokenCount, header, sendJson, startFakeLlmServer, type FailureOf, type FakeLlmServer } from './fake-llm-server.js';

/** One `generateContent` call as the fake received it. */
export interface FakeGeminiRequest {
  /** The URL path, e.g. `/v1beta/models/gemini-2.5-pro:generateContent`. */
  path: string;
  /** The model named in the path, e.g. `gemini-2.5-pro`. */
  model: string;
  /** The `x-goog-api-key` header. */
  apiKey: string | undefined;
  /** The parsed JSON body, exactly as the SDK sent it. */
  body: GenerateContentBody;
  /** The system instruction's text parts, joined. */
  system: string;
  /** The contents' text parts, joined: what the model is asked about. */
  prompt: string;
}

interface TextContent {
  role?: string;
  parts?: { text?: string }[];
}

interface GenerateContentBody {
  contents?: TextContent[];
  systemInstruction?: TextContent;
  generationConfig?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What the fake does with one call. */
export type FakeGeminiOutcome =
  | { kind: 'text'; text: string }
  | { kind: 'error'; status: number; retryDelay?: string; retryAfter?: string; message?: string }
  | { kind: 'hang' }
  | { kind: 'empty' }
  | { kind: 'blocked'; blockReason: string }
  /** `thoughtsTokenCount` as a thinking model reports it. */
  | { kind: 'finish'; finishReason: string; text?: string; thoughtsTokenCount?: number }
  | { kind: 'malformed' }
  | { kind: 'reset' };

export type FakeGeminiFailure = FailureOf<FakeGeminiOutcome>;

export interface FakeGemini extends FakeLlmServer<FakeGeminiRequest, FakeGeminiOutcome> {
  /** `http://127.0.0.1:PORT`: give it to the SDK as `httpOptions.baseUrl`. */
  readonly url: string;
  emptyNext(): void;
  blockedNext(blockReason?: string): void;
  finishNext(finishReason: string, text?: string): void;
}

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const GENERATE_CONTENT_PATH = /^\/v1beta\/models\/([^/:]+):generateContent$/;

/**
 * A Gemini API on 127.0.0.1 speaking the REST protocol `@google/genai` uses:
 * `POST /v1beta/models/{model}:generateContent` with the key in `x-goog-api-key`, answering
 * with candidates or Google-style error bodies. With `apiKey` set, another key is refused the way
 * the real service refuses it (400 `API_KEY_INVALID`).
 */
export async function startFakeGemini(options: { apiKey?: string; latencyMs?: number } = {}): Promise<FakeGemini> {
  const server = await startFakeLlmServer<FakeGeminiRequest, FakeGeminiOutcome>(
    {
      read(incoming, path, raw) {
        const match = GENERATE_CONTENT_PATH.exec(path);
        if (incoming.method !== 'POST' || !match) {
          return errorResponse({ status: 404, message: `Method ${incoming.method} ${path} is not supported by the fake.` });
        }
        const body = JSON.parse(raw) as GenerateContentBody;
        return {
          path,
          model: decodeURIComponent(match[1]!),
          apiKey: header(incoming, 'x-goog-api-key'),
          body,
          system: textOf(body.systemInstruction ? [body.systemInstruction] : []),
          prompt: textOf(body.contents ?? []),
        };
      },
      refuse(request) {
        if (options.apiKey === undefined || request.apiKey === options.apiKey) return undefined;
        return {
          status: 400,
          body: {
            error: {
              code: 400,
              message: 'API key not valid. Please pass a valid API key.',
              status: 'INVALID_ARGUMENT',
              details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
            },
          },
        };
      },
      send,
      defaultText: (request) => `A narrative written by ${request.model}.`,
    },
    options,
  );
  return Object.assign(Object.create(server) as FakeLlmServer<FakeGeminiRequest, FakeGeminiOutcome>, {
    url: server.origin,
    emptyNext() {
      server.next({ kind: 'empty' });
    },
    blockedNext(blockReason = 'SAFETY') {
      server.next({ kind: 'blocked', blockReason });
    },
    finishNext(finishReason: string, text?: string) {
      server.next({ kind: 'finish', finishReason, ...(text === undefined ? {} : { text }) });
    },
  });
}

function send(response: ServerResponse, request: FakeGeminiRequest, outcome: Exclude<FakeGeminiOutcome, { kind: 'hang' | 'malformed' | 'reset' }>): void {
  switch (outcome.kind) {
    case 'text':
      sendJson(response, 200, candidateResponse(request, { text: outcome.text, finishReason: 'STOP' }));
      return;
    case 'finish':
      sendJson(response, 200, candidateResponse(request, outcome));
      return;
    case 'empty':
      sendJson(response, 200, { usageMetadata: usage(request, ''), modelVersion: request.model });
      return;
    case 'blocked':
      sendJson(response, 200, {
        promptFeedback: { blockReason: outcome.blockReason, safetyRatings: [] },
        usageMetadata: usage(request, ''),
        modelVersion: request.model,
      });
      return;
    case 'error':
      sendError(response, outcome);
      return;
  }
}

function candidateResponse(request: FakeGeminiRequest, candidate: { text?: string; finishReason: string; thoughtsTokenCount?: number }): object {
  const parts = candidate.text === undefined ? [] : [{ text: candidate.text }];
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: candidate.finishReason, index: 0 }],
    usageMetadata: { ...usage(request, candidate.text ?? ''), ...(candidate.thoughtsTokenCount === undefined ? {} : { thoughtsTokenCount: candidate.thoughtsTokenCount }) },
    modelVersion: request.model,
    responseId: `fake-${Math.random().toString(36).slice(2)}`,
  };
}

function usage(request: FakeGeminiRequest, output: string): object {
  const promptTokenCount = fakeTokenCount(request.system + request.prompt);
  const candidatesTokenCount = fakeTokenCount(output);
  return { promptTokenCount, candidatesTokenCount, totalTokenCount: promptTokenCount + candidatesTokenCount };
}

function sendError(response: ServerResponse, failure: FakeGeminiFailure): void {
  const { status, body } = errorResponse(failure);
  sendJson(response, status, body, failure.retryAfter === undefined ? {} : { 'retry-after': failure.retryAfter });
}

function errorResponse(failure: FakeGeminiFailure): { status: number; body: object } {
  const status = GOOGLE_STATUS[failure.status] ?? 'UNKNOWN';
  const details: object[] = [];
  if (failure.status === 429) {
    details.push({
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_requests', quotaId: 'FakeQuota' }],
    });
  }
  if (failure.retryDelay !== undefined) {
    details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: failure.retryDelay });
  }
  const message = failure.message ?? `The fake answered ${failure.status} ${status}.`;
  return { status: failure.status, body: { error: { code: failure.status, message, status, ...(details.length ? { details } : {}) } } };
}

function textOf(contents: TextContent[]): string {
  return contents.flatMap((content) => content.parts ?? []).map((part) => part.text ?? '').join('\n');
}
