/** Codes Node and undici give a connection that failed or broke: worth another attempt. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** What the usual codes mean, for a message a person reads. */
const NETWORK_ERROR_PHRASES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'host name lookup failed',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed by the server',
};

/**
 * What went wrong with a connection, in a few words (`connection refused`), found anywhere in the
 * error's cause chain; the innermost message when no code is known.
 */
export function describeNetworkError(error: unknown): string {
  let innermost = error instanceof Error ? error.message : String(error);
  for (let current: unknown = error, depth = 0; typeof current === 'object' && current !== null && depth <= 5; depth += 1) {
    const { code, cause, message } = current as { code?: unknown; cause?: unknown; message?: unknown };
    if (typeof code === 'string' && NETWORK_ERROR_PHRASES[code]) return NETWORK_ERROR_PHRASES[code];
    if (typeof message === 'string' && message !== '') innermost = message;
    current = cause;
  }
  return innermost;
}

/**
 * Whether an error (or anything in its cause chain) is a failed or broken connection, as thrown by
 * `fetch` (`TypeError: fetch failed` with the socket error as its cause) or by Node's sockets.
 */
export function isNetworkError(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  const { code, cause, errors, message, name } = error as {
    code?: unknown;
    cause?: unknown;
    errors?: unknown;
    message?: unknown;
    name?: unknown;
  };
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  if (name === 'TypeError' && message === 'fetch failed') return true;
  if (Array.isArray(errors) && errors.some((inner) => isNetworkError(inner, depth + 1))) return true;
  return isNetworkError(cause, depth + 1);
}
