import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';

/** A logger at `level` whose lines are kept, parsed, in `lines` as they are written. */
export function capturedLogger(level: pino.LevelWithSilent = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
