import type { Readable } from 'node:stream';

const KEEP_CHARS = 4_000;

/** Reads a child's standard error as it comes (so the pipe never fills) and keeps its last few lines for error messages. */
export function stderrTail(stream: Readable | null): () => string {
  let tail = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-KEEP_CHARS);
  });
  return () => tail.trim();
}
