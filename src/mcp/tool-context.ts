import type { Logger } from 'pino';
import type { NarrativeEngine } from '../engine/narrative-engine.js';

/** The user a request acts for: fixed for stdio, the owner of the bearer key over HTTP. */
export interface RequestUser {
  id: string;
  externalId: string;
}

export type ResolveUser = (extra: { authInfo?: { extra?: Record<string, unknown> } }) => Promise<RequestUser>;

export interface ToolContext {
  engine: NarrativeEngine;
  logger: Logger;
  resolveUser: ResolveUser;
}
