import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What every fake records of one call. */
export interface FakeLlmRequest {
  /** The URL path, e.g. `/v1/chat/completions`. */
  path: string;
  /** The model the call names. */
  model: string;
  /** The system instruction's text. */
  system: string;
  /** The user turn's text: what the model is asked about. */
  prompt: string;
}

/** What every fake's protocol can refuse a call with: an HTTP status, the server's message, a `Retry-After` header. */
export interface FakeLlmFailure {
  status: number;
  message?: string;
  retryAfter?: string;
}

/** The failures one fake can script: its outcome of kind `error`, without the kind. */
export type FailureOf<Outcome extends { kind: string }> = Omit<Extract<Outcome, { kind: 'error' }>, 'kind'>;

/** What a fake can do with any call, whatever protocol it speaks. */
export type SharedOutcome =
  | { kind: 'text'; text: string }
  | { kind: 'hang' }
  | { kind: 'malformed' }
  | { kind: 'reset' };

/** One provider's REST protocol: how a call is read and how an outcome is written back. */
export interface FakeLlmProtocol<Request extends FakeLlmRequest, Outcome extends { kind: string }> {
  /** Reads a call, or returns the status and body that refuse it at once (a path the fake does not serve, a missing header). */
  read(incoming: IncomingMessage, path: string, rawBody: string): Request | { status: number; body: object };
  /** The refusal of a call the fake received and counted (a wrong key), if it is refused. */
  refuse?(request: Request): { status: number; body: object } | undefined;
  /** Writes an outcome that is not one of the shared ones. */
  send(response: ServerResponse, request: Request, outcome: Exclude<Outcome, { kind: 'hang' | 'malformed' | 'reset' }>): void;
  /** The answer to calls nothing is scripted for. */
  defaultText(request: Request): string;
}

export interface FakeLlmServer<Request extends FakeLlmRequest, Outcome extends { kind: string }> {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** How many calls arrived (counted on arrival, held or not). */
  readonly calls: number;
  readonly requests: readonly Request[];
  /** How many calls are waiting on a `hold()` right now. */
  readonly held: number;
  /** The answer to calls nothing else is scripted for. */
  respondWith(text: string | ((request: Request) => string)): void;
  /** Queues what the next call does (calls take queued outcomes in order). */
  next(outcome: Outcome | SharedOutcome): void;
  /** Queues an HTTP error answer for the next call. */
  failNext(failure: FailureOf<Outcome>): void;
  hangNext(): void;
  malformedNext(): void;
  hugeNext(chars: number): void;
  resetNext(): void;
  /** Every call matching `predicate` gets `outcome` (a bare failure: that error), before the queue is consulted. Returns a remover. */
  failWhen(predicate: (request: Request) => boolean, outcome: Outcome | SharedOutcome | FailureOf<Outcome>): () => void;
  /** Calls arriving from now on wait until the returned function is called (latency without sleeping). */
  hold(): () => void;
  /** Every call waits this long in real time before it is answered (for benchmarks; tests use `hold`). */
  setLatency(ms: number): void;
  /** Resolves once at least `count` calls have arrived. */
  waitForCalls(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Any protocol's fake seen through what they all share, with the base URL its provider is given. */
export type AnyFakeLlmServer = FakeLlmServer<FakeLlmRequest, { kind: 'error' } & FakeLlmFailure> & { readonly url: string };

/**
 * An HTTP server on 127.0.0.1 that records calls and answers them as scripted, in whichever
 * protocol `protocol` speaks: the plumbing every fake LLM server shares.
 */
export async function startFakeLlmServer<Request extends FakeLlmRequest, Outcome extends { kind: string }>(
  protocol: FakeLlmProtocol<Request, Outcome>,
  options: { latencyMs?: number } = {},
): Promise<FakeLlmServer<Request, Outcome>> {
  type AnyOutcome = Outcome | SharedOutcome;
  const requests: Request[] = [];
  const queue: AnyOutcome[] = [];
  const rules: { predicate: (request: Request) => boolean; outcome: AnyOutcome }[] = [];
  const callWaiters: { count: number; resolve: () => void }[] = [];
  const sockets = new Set<Socket>();
  let respond: (request: Request) => string = (request) => protocol.defaultText(request);
  let gate: { opened: Promise<void>; open: () => void } | undefined;
  let held = 0;
  let latencyMs = options.latencyMs ?? 0;

  const handle = async (incoming: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(incoming.url ?? '/', 'http://fake').pathname;
    const raw = await readBody(incoming);
    const read = protocol.read(incoming, path, raw);
    if ('status' in read) {
      sendJson(response, read.status, read.body);
      return;
    }
    const request = read;
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

    const refusal = protocol.refuse?.(request);
    if (refusal) {
      sendJson(response, refusal.status, refusal.body);
      return;
    }
    const outcome = rules.find((rule) => rule.predicate(request))?.outcome ??
      queue.shift() ?? { kind: 'text', text: respond(request) };
    switch (outcome.kind) {
      case 'hang':
        return;
      case 'reset':
        response.socket?.destroy();
        return;
      case 'malformed':
        response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
        response.end('{"id": "fake", "content": [');
        return;
      default:
        protocol.send(response, request, outcome as Exclude<Outcome, { kind: 'hang' | 'malformed' | 'reset' }>);
    }
  };

  const server = createServer((incoming, response) => {
    handle(incoming, response).catch((error: unknown) => {
      sendJson(response, 500, { error: { message: `The fake failed: ${String(error)}` } });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
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
      queue.push(errorOutcome(failure));
    },
    hangNext() {
      queue.push({ kind: 'hang' });
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
      const rule = { predicate, outcome: 'kind' in outcome ? outcome : errorOutcome<Outcome>(outcome) };
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

/** A scripted failure as the outcome its protocol sends: every protocol's outcomes have one of kind `error`. */
function errorOutcome<Outcome extends { kind: string }>(failure: FailureOf<Outcome>): Outcome {
  return { kind: 'error', ...failure } as unknown as Outcome;
}

/** How every fake counts tokens: a quarter of the characters, rounded up. */
export function fakeTokenCount(text: string): number {
  return Math.ceil(text.length / 4);
}

export function sendJson(response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  response.end(JSON.stringify(body));
}

/** The `retry-after` and `retry-after-ms` headers a scripted failure asks for. */
export function retryHeaders(failure: { retryAfter?: string; retryAfterMs?: string }): Record<string, string> {
  return {
    ...(failure.retryAfter === undefined ? {} : { 'retry-after': failure.retryAfter }),
    ...(failure.retryAfterMs === undefined ? {} : { 'retry-after-ms': failure.retryAfterMs }),
  };
}

export function header(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
