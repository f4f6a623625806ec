import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../bench/soak/describe-error.js';

describe('a soak failure as recorded', () => {
  it("names what failed under fetch's bare message", async () => {
    // A port nothing listens on any more.
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    server.close();
    await once(server, 'close');
    const error = await fetch(`http://127.0.0.1:${port}/`).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(describeError(error)).toBe('fetch failed: ECONNREFUSED');
  });

  it('keeps other errors as they are, shortened', () => {
    expect(describeError(new Error('MCP error -32001: Request timed out'))).toBe('MCP error -32001: Request timed out');
    expect(describeError('x'.repeat(500))).toHaveLength(120);
  });

  it('shows a cause with neither code nor message as it would be logged, and a null cause', () => {
    expect(describeError(new Error('fetch failed', { cause: { reason: 'reset' } }))).toBe("fetch failed: { reason: 'reset' }");
    expect(describeError(new Error('fetch failed', { cause: null }))).toBe('fetch failed: null');
  });
});
