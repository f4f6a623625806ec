/**
 * The REST API as the dashboard uses it. Every call sends the bearer key; a refused call throws
 * an `ApiError` carrying the server's `{ error: { code, message } }`, and a call that never got
 * an answer throws a `NetworkError`, so the page can tell "bad key" from "server down".
 */

const API = '/api/v1/memories';
const GRANTS = '/api/v1/oauth/grants';

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status
   * @param {string} code the server's error code (`unauthorized`, `rate_limited`, `not_eligible`, …)
   * @param {string} message a message a person can act on
   * @param {number | null} retryAfterSeconds from `Retry-After`, when the server sent one
   */
  constructor(status, code, message, retryAfterSeconds) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class NetworkError extends Error {
  constructor(cause) {
    super('Cannot reach the server', { cause });
    this.name = 'NetworkError';
  }
}

export class ApiClient {
  /** @param {() => string | null} getKey */
  constructor(getKey) {
    this.getKey = getKey;
  }

  /** The narrative, or null while it is being generated (204). */
  narrative() {
    return this.#request('GET', `${API}/narrative`);
  }

  status() {
    return this.#request('GET', `${API}/narrative/status`);
  }

  regenerate() {
    return this.#request('POST', `${API}/narrative/regenerate`);
  }

  /**
   * One page of memories, newest first: `{ memories, next_cursor, total }`. `range` is
   * `{ from?, to? }`, ISO dates or date-times, both ends included.
   */
  memories(limit, cursor, range = {}) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (cursor) query.set('cursor', cursor);
    setRange(query, range);
    return this.#request('GET', `${API}?${query}`);
  }

  /** The memories best matching `text`, best first: `{ memories }`, each with its `score`. */
  search(text, limit, range = {}) {
    const query = new URLSearchParams({ q: text, limit: String(limit) });
    setRange(query, range);
    return this.#request('GET', `${API}/search?${query}`);
  }

  /** Adds one memory: `{ added, duplicates, total_memories }` (`added` is empty for a text the user already has). */
  /** Adds one memory, forgotten after `ttlDays` days when given. */
  addMemory(content, ttlDays) {
    return this.#request('POST', API, { memories: [ttlDays ? { content, ttl_days: ttlDays } : { content }] });
  }

  /** Corrects a memory: `changes` is `{ content?, metadata? }`; answers `{ memory, narrative_regenerating }`. */
  updateMemory(id, changes) {
    return this.#request('PATCH', `${API}/${encodeURIComponent(id)}`, changes);
  }

  deleteMemory(id) {
    return this.#request('DELETE', `${API}/${encodeURIComponent(id)}`);
  }

  /** The OAuth clients the user connected: `{ grants: [{ id, client_name, redirect_host, created_at, last_used_at }] }`. */
  grants() {
    return this.#request('GET', GRANTS);
  }

  revokeGrant(id) {
    return this.#request('DELETE', `${GRANTS}/${encodeURIComponent(id)}`);
  }

  async #request(method, path, body) {
    let response;
    let text;
    const headers = { Authorization: `Bearer ${this.getKey() ?? ''}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    try {
      response = await fetch(path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        cache: 'no-store',
        credentials: 'omit',
      });
      text = await response.text();
    } catch (error) {
      throw new NetworkError(error);
    }
    if (response.status === 204) return null;
    const answer = parseJson(text);
    if (!response.ok) {
      const error = answer && typeof answer === 'object' ? answer.error : undefined;
      throw new ApiError(
        response.status,
        typeof error?.code === 'string' ? error.code : `http_${response.status}`,
        typeof error?.message === 'string' && error.message ? error.message : `The server answered ${response.status} ${response.statusText}`.trim(),
        parseRetryAfter(response.headers.get('Retry-After')),
      );
    }
    return answer;
  }
}

function setRange(query, range) {
  if (range.from) query.set('from', range.from);
  if (range.to) query.set('to', range.to);
}

function parseJson(text) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** `Retry-After` is either a number of seconds or an HTTP date. */
function parseRetryAfter(value) {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}
