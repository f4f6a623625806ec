import type { RequestHandler } from 'express';

/**
 * Holds the response's socket writes until the end of the current event-loop turn, so an answer
 * that is ready at once leaves in one write instead of three. The SDK's Streamable HTTP transport
 * answers every POST as a server-sent event stream, which Node writes as the headers, the event
 * and the closing chunk; ending the response sends all that was held. An answer that takes
 * longer (a tool that waits, a progress notification) streams as before, one turn later at most.
 * (The transport's JSON response mode would write once too, but it is per session and drops the
 * progress notifications `regenerate_narrative` sends during a call.)
 */
export function coalesceWrites(): RequestHandler {
  return (_req, res, next) => {
    res.cork();
    setImmediate(() => {
      // `end()` uncorks fully; before it, this undoes our one cork and no more.
      if (!res.writableEnded) res.uncork();
    });
    next();
  };
}
