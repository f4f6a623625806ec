import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Clock } from '../../clock/clock.js';
import { MINUTE_MS } from '../../clock/durations.js';

export interface StreamableSession {
  readonly transport: StreamableHTTPServerTransport;
  readonly userId: string;
  lastSeen: number;
  openStreams: number;
}

/**
 * The open Streamable HTTP sessions, least recently used first. Clients often leave without ending
 * their session (the SDK's client drops its connection and sends no DELETE), so a session with no
 * open stream is closed once idle for `idleMs`, and a user who opens more than `maxPerUser` loses
 * the least recently used. The clean-up runs whenever a session opens, on the app's clock.
 */
export class StreamableSessionRegistry {
  static readonly DEFAULTS = { idleMs: 10 * MINUTE_MS, maxPerUser: 50 };
  readonly #sessions = new Map<string, StreamableSession>();
  readonly #perUser = new Map<string, number>();

  constructor(private readonly options: { clock: Clock; idleMs?: number; maxPerUser?: number }) {}

  get size(): number {
    return this.#sessions.size;
  }

  /** The session, marked as used now. */
  use(sessionId: string): StreamableSession | undefined {
    const session = this.#sessions.get(sessionId);
    if (!session) return undefined;
    this.#touch(sessionId, session);
    return session;
  }

  add(sessionId: string, transport: StreamableHTTPServerTransport, userId: string): void {
    this.#closeAbandoned();
    if ((this.#perUser.get(userId) ?? 0) >= (this.options.maxPerUser ?? StreamableSessionRegistry.DEFAULTS.maxPerUser)) {
      const oldest = [...this.#sessions.entries()].find(([, session]) => session.userId === userId);
      if (oldest) this.#close(oldest[0], oldest[1]);
    }
    this.#sessions.set(sessionId, { transport, userId, lastSeen: this.options.clock.now(), openStreams: 0 });
    this.#perUser.set(userId, (this.#perUser.get(userId) ?? 0) + 1);
  }

  delete(sessionId: string): void {
    const session = this.#sessions.get(sessionId);
    if (!session) return;
    this.#sessions.delete(sessionId);
    const left = (this.#perUser.get(session.userId) ?? 1) - 1;
    if (left > 0) this.#perUser.set(session.userId, left);
    else this.#perUser.delete(session.userId);
  }

  /** A long-lived GET stream keeps its session alive while it is open. */
  streamOpened(session: StreamableSession): void {
    session.openStreams += 1;
  }

  streamClosed(sessionId: string, session: StreamableSession): void {
    session.openStreams -= 1;
    if (this.#sessions.get(sessionId) === session) this.#touch(sessionId, session);
  }

  all(): StreamableSession[] {
    return [...this.#sessions.values()];
  }

  #touch(sessionId: string, session: StreamableSession): void {
    session.lastSeen = this.options.clock.now();
    // Re-inserting keeps the map in least-recently-used order.
    this.#sessions.delete(sessionId);
    this.#sessions.set(sessionId, session);
  }

  #closeAbandoned(): void {
    const idleSince = this.options.clock.now() - (this.options.idleMs ?? StreamableSessionRegistry.DEFAULTS.idleMs);
    for (const [sessionId, session] of this.#sessions) {
      if (session.lastSeen > idleSince) break;
      if (session.openStreams === 0) this.#close(sessionId, session);
    }
  }

  #close(sessionId: string, session: StreamableSession): void {
    this.delete(sessionId);
    // Closing ends the transport's streams; it cannot fail in a way anyone could act on.
    void session.transport.close().catch(() => undefined);
  }
}
