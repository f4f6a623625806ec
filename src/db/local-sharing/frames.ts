import type { Socket } from 'node:net';
import { deserialize, serialize } from 'node:v8';

/**
 * Messages between the processes sharing an embedded database: each one a 4-byte length and a V8
 * serialisation, which carries what rows and parameters hold (dates, byte arrays, nested JSON)
 * without a conversion of our own.
 */

const HEADER_BYTES = 4;
/** Larger than any result the repositories read at once; a longer length means a broken stream. */
const MAX_FRAME_BYTES = 512 * 1024 * 1024;

export function writeFrame(socket: Socket, message: unknown): void {
  const body = serialize(message);
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(body.length);
  socket.write(Buffer.concat([header, body]));
}

/** Calls `onMessage` for every whole message the socket delivers; destroys it on a broken stream. */
export function readFrames(socket: Socket, onMessage: (message: unknown) => void): void {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  socket.on('data', (chunk: Buffer) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes < HEADER_BYTES) return;
    let buffer = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    while (buffer.length >= HEADER_BYTES) {
      const length = buffer.readUInt32BE(0);
      if (length > MAX_FRAME_BYTES) {
        socket.destroy(new Error(`a message of ${length} bytes on the database socket`));
        return;
      }
      if (buffer.length < HEADER_BYTES + length) break;
      const message: unknown = deserialize(buffer.subarray(HEADER_BYTES, HEADER_BYTES + length));
      buffer = buffer.subarray(HEADER_BYTES + length);
      onMessage(message);
    }
    pending = buffer.length > 0 ? [buffer] : [];
    pendingBytes = buffer.length;
  });
}
