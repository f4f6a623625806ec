import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

/** Idle servers kept in all, across users: about as many as requests a process answers at once. */
const DEFAULT_MAX_IDLE = 256;

/**
 * The MCP servers of a process without sessions that have answered a request and may answer the
 * next one of the same user. Building a server (every tool, schema, resource and prompt
 * registered) costs more than answering a cache hit, and a server built per request and dropped
 * after it fills the young generation with what a scavenge must then copy while requests are in
 * flight; a closed server connects to the next request's transport as good as new. Servers are
 * kept per user because each logs as its user; the least recently released go first past the limit.
 */
export class IdleServerPool {
  readonly #maxIdle: number;
  /** By user; a Map iterates in insertion order, so the first user is the one whose servers waited longest. */
  readonly #idle = new Map<string, McpServer[]>();
  #count = 0;

  constructor(maxIdle = DEFAULT_MAX_IDLE) {
    this.#maxIdle = maxIdle;
  }

  get size(): number {
    return this.#count;
  }

  /** An idle server of the user's, or one built by `create`. */
  take(userId: string, create: () => McpServer): McpServer {
    const servers = this.#idle.get(userId);
    const server = servers?.pop();
    if (!server) return create();
    this.#count -= 1;
    if (servers!.length === 0) this.#idle.delete(userId);
    return server;
  }

  /** A server whose request is over and whose transport is closed, to answer the user's next one. */
  give(userId: string, server: McpServer): void {
    if (this.#maxIdle === 0) return;
    if (this.#count >= this.#maxIdle) this.#dropLongestWaiting();
    const servers = this.#idle.get(userId) ?? [];
    // Moved to the end: this user's servers are now the most recently used.
    this.#idle.delete(userId);
    servers.push(server);
    this.#idle.set(userId, servers);
    this.#count += 1;
  }

  #dropLongestWaiting(): void {
    const [userId, servers] = this.#idle.entries().next().value as [string, McpServer[]];
    servers.shift();
    this.#count -= 1;
    if (servers.length === 0) this.#idle.delete(userId);
  }
}
