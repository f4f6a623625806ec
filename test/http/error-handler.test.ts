import { once } from 'node:events';
import { request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { errorHandler } from '../../src/http/error-handler.js';

describe('the HTTP error handler', () => {
  let server: Server;
  const logged: Array<{ msg: string }> = [];

  async function serve(route: express.RequestHandler): Promise<string> {
    const app = express();
    app.get('/route', route);
    app.use(errorHandler(1_000, pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line) as { msg: string }) })));
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/route`;
  }

  afterEach(() => {
    logged.length = 0;
    server.closeAllConnections();
    server.close();
  });

  it('ends the connection when a failure comes after the response started, and logs it', async () => {
    const url = await serve((_req, res, next) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      next(new Error('the stream broke'));
    });
    let aborted: Error | undefined;
    const response = await new Promise<IncomingMessage>((resolve, reject) =>
      request(url, (incoming) => resolve(incoming.on('error', (error) => (aborted = error))))
        .on('error', reject)
        .end(),
    );
    expect(response.statusCode).toBe(200);
    response.resume();
    // Without an end the client would wait here until the test times out.
    await new Promise((resolve) => response.on('close', resolve));
    expect(aborted?.message).toBe('aborted');
    expect(response.complete).toBe(false);
    expect(logged.map((line) => line.msg)).toEqual(['request failed after its response had started']);
  });

  it('answers a failure before the response started with the JSON error shape and no internals', async () => {
    const url = await serve(() => {
      throw new Error('relation "secret_table" does not exist');
    });
    const response = await fetch(url);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: { code: 'internal', message: 'Something went wrong on the server; the error is logged.' } });
  });
});
