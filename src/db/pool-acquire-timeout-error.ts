/** No pooled connection was free within the acquire timeout: the database is too busy, or unreachable. */
export class PoolAcquireTimeoutError extends Error {
  override readonly name = 'PoolAcquireTimeoutError';
  readonly code = 'POOL_ACQUIRE_TIMEOUT';

  constructor(timeoutMs: number) {
    super(`no database connection became free within ${timeoutMs} ms`);
  }
}
