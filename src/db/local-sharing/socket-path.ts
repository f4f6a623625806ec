import { createHash } from 'node:crypto';
import { lstat, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserFacingError } from '../../errors/user-facing-error.js';

const SOCKET_NAME = 'narrative-mcp.sock';
/** Under every platform's limit on a Unix socket's path (104 bytes on macOS, 108 on Linux). */
const MAX_SOCKET_PATH_BYTES = 100;

/**
 * Where the owner of a data directory listens: in the directory itself, or, when that path is too
 * long for a socket, in a directory of this user's own under the system's temporary directory.
 */
export async function socketPathFor(dataDir: string): Promise<string> {
  const inDataDir = join(resolve(dataDir), SOCKET_NAME);
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH_BYTES) return inDataDir;
  const uid = process.getuid?.() ?? 0;
  const directory = join(tmpdir(), `narrative-mcp-${uid}`);
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const stats = await lstat(directory);
  if (!stats.isDirectory() || stats.uid !== uid || (stats.mode & 0o077) !== 0) {
    throw new UserFacingError(`${directory} must be a directory of this user's only (mode 0700); remove it and start again`);
  }
  return join(directory, `${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 24)}.sock`);
}
