import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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
  systemInstruction: string;
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
  | { kind: 'finish'; finishReason: string; text?: string }
  | { kind: 'malformed' }
  | { kind: 'reset' };

export type FakeGeminiFailure = Omit<Extract<FakeGeminiOutcome, { kind: 'error' }>, 'kind'>;

export interface FakeGemini {
  /** `http://127.0.0.1:PORT`: give it to the SDK as `httpOptions.baseUrl`. */
  readonly url: string;
  /** How many `generateContent` calls arrived (counted on arrival, held or not). */
  readonly calls: number;
  readonly requests: readonly FakeGeminiRequest[];
  /** How many calls are waiting on a `hold()` right now. */
  readonly held: number;
  /** The answer to calls nothing else is scripted for. Default: a text naming the model. */
  respondWith(text: string | ((request: FakeGeminiRequest) => string)): void;
  /** Queues what the next call does (calls take queued outcomes in order). */
  next(outcome: FakeGeminiOutcome): void;
  failNext(failure: FakeGeminiFailure): void;
  hangNext(): void;
  emptyNext(): void;
  blockedNext(blockReason?: string): void;
  finishNext(finishReason: string, text?: string): void;
  malformedNext(): void;
  hugeNext(chars: number): void;
  resetNext(): void;
  /** Every call matching `predicate` gets `outcome`, before the queue is consulted. Returns a remover. */
  failWhen(predicate: (request: FakeGeminiRequest) => boolean, outcome: FakeGeminiOutcome | FakeGeminiFailure): () => void;
  /** Calls arriving from now on wait until the returned function is called (latency without sleeping). */
  hold(): () => void;
  /** Every call waits this long in real time before it is answered (for benchmarks; tests use `hold`). */
  setLatency(ms: number): void;
  /** Resolves once at least `count` calls have arrived. */
  waitForCalls(count: number): Promise<void>;
  close(): Promise<void>;
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
  const requests: FakeGeminiRequest[] = [];
  const queue: FakeGeminiOutcome[] = [];
  const rules: { predicate: (request: FakeGeminiRequest) => boolean; outcome: FakeGeminiOutcome }[] = [];
  const callWaiters: { count: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  let respond: (request: FakeGeminiRequest) => string = (request) => `A narrative written by ${request.model}.`;
  let gate: { opened: Promise<void>; open: () => void } | undefined;
  let held = 0;
  let latencyMs = options.latencyMs ?? 0;

  const handle = async (incoming: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(incoming.url ?? '/', 'http://fake').pathname;
    const match = GENERATE_CONTENT_PATH.exec(path);
    const raw = await readBody(incoming);
    if (incoming.method !== 'POST' || !match) {
      sendError(response, { status: 404, message: `Method ${incoming.method} ${path} is not supported by the fake.` });
      return;
    }
    const body = JSON.parse(raw) as GenerateContentBody;
    const request: FakeGeminiRequest = {
      path,
      model: decodeURIComponent(match[1]!),
      apiKey: header(incoming, 'x-goog-api-key'),
      body,
      systemInstruction: textOf(body.systemInstruction ? [body.systemInstruction] : []),
      prompt: textOf(body.contents ?? []),
    };
    requests.push(request);
    for (const waiter of callWaiters.filter((waiter) => requests.length >= waiter.count)) {
      callWaiters.splice(callWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }

    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (gate) {
      held += 1;
      await gate.opened;
      held -= 1;
    }

    if (options.apiKey !== undefined && request.apiKey !== options.apiKey) {
      sendJson(response, 400, {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'INVALID_ARGUMENT',
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }],
        },
      });
      return;
    }
    const outcome = rules.find((rule) => rule.predicate(request))?.outcome ??
      queue.shift() ?? { kind: 'text', text: respond(request) };
    send(response, request, outcome);
  };

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      sendError(response, { status: 500, message: `The fake failed: ${String(error)}` });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get calls() {
      return requests.length;
    },
    requests,
    get held() {
      return held;
    },
    respondWith(text) {
      respond = typeof text === 'string' ? () => text : text;
    },
    next(outcome) {
      queue.push(outcome);
    },
    failNext(failure) {
      queue.push({ kind: 'error', ...failure });
    },
    hangNext() {
      queue.push({ kind: 'hang' });
    },
    emptyNext() {
      queue.push({ kind: 'empty' });
    },
    blockedNext(blockReason = 'SAFETY') {
      queue.push({ kind: 'blocked', blockReason });
    },
    finishNext(finishReason, text) {
      queue.push({ kind: 'finish', finishReason, ...(text === undefined ? {} : { text }) });
    },
    malformedNext() {
      queue.push({ kind: 'malformed' });
    },
    hugeNext(chars) {
      queue.push({ kind: 'text', text: 'x'.repeat(chars) });
    },
    resetNext() {
      queue.push({ kind: 'reset' });
    },
    failWhen(predicate, outcome) {
      const rule = { predicate, outcome: 'kind' in outcome ? outcome : ({ kind: 'error', ...outcome } as const) };
      rules.push(rule);
      return () => {
        const index = rules.indexOf(rule);
        if (index >= 0) rules.splice(index, 1);
      };
    },
    hold() {
      if (!gate) {
        let open!: () => void;
        const opened = new Promise<void>((resolve) => (open = resolve));
        gate = { opened, open };
      }
      const mine = gate;
      return () => {
        mine.open();
        if (gate === mine) gate = undefined;
      };
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    waitForCalls(count) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => callWaiters.push({ count, resolve }));
    },
    async close() {
      gate?.open();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function send(response: ServerResponse, request: FakeGeminiRequest, outcome: FakeGeminiOutcome): void {
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
    case 'malformed':
      response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
      response.end('{"candidates": [{"content": ');
      return;
    case 'error':
      sendError(response, outcome);
      return;
    case 'hang':
      return;
    case 'reset':
      response.socket?.destroy();
      return;
  }
}

function candidateResponse(request: FakeGeminiRequest, candidate: { text?: string; finishReason: string }): object {
  const parts = candidate.text === undefined ? [] : [{ text: candidate.text }];
  return {
    candidates: [{ content: { role: 'model', parts }, finishReason: candidate.finishReason, index: 0 }],
    usageMetadata: usage(request, candidate.text ?? ''),
    modelVersion: request.model,
    responseId: `fake-${Math.random().toString(36).slice(2)}`,
  };
}

function usage(request: FakeGeminiRequest, output: string): object {
  const promptTokenCount = Math.ceil((request.systemInstruction.length + request.prompt.length) / 4);
  const candidatesTokenCount = Math.ceil(output.length / 4);
  return { promptTokenCount, candidatesTokenCount, totalTokenCount: promptTokenCount + candidatesTokenCount };
}

function sendError(response: ServerResponse, failure: FakeGeminiFailure): void {
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
  const headers: Record<string, string> = failure.retryAfter === undefined ? {} : { 'retry-after': failure.retryAfter };
  sendJson(response, failure.status, { error: { code: failure.status, message, status, ...(details.length ? { details } : {}) } }, headers);
}

function sendJson(response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  response.end(JSON.stringify(body));
}

function header(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function textOf(contents: TextContent[]): string {
  return contents.flatMap((content) => content.parts ?? []).map((part) => part.text ?? '').join('\n');
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
