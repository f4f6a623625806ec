import { isSessionLost } from './is-session-lost.js';

/**
 * postgres.js and Node codes of a connection that could not be made, and ours of a pool with no
 * connection free in time (`PoolAcquireTimeoutError`).
 */
const CANNOT_CONNECT_CODES: ReadonlySet<string> = new Set([
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'POOL_ACQUIRE_TIMEOUT',
]);

/**
 * SQLSTATEs of a server that could not serve the query in time: no connection slot left, or the
 * statement cancelled by `statement_timeout` (one that ends a session is `isSessionLost`'s).
 */
const SERVER_OVERLOADED_CODES: ReadonlySet<string> = new Set(['53300', '57014']);

/**
 * Whether an error (or anything in its cause chain) means the database is unreachable, as opposed
 * to a query that is wrong: the request may succeed when tried again once the database is back.
 */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 5 || typeof error !== 'object' || error === null) return false;
  if (isSessionLost(error)) return true;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string' && (CANNOT_CONNECT_CODES.has(code) || SERVER_OVERLOADED_CODES.has(code))) return true;
  if (Array.isArray(errors) && errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(cause, depth + 1);
}
