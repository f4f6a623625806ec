import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Request } from 'express';
import { HOUR_MS, SECOND_MS } from '../clock/durations.js';
import type { RequestUser } from '../mcp/tool-context.js';

/** What the bearer middleware learns about a request: its user and the key it used (for an OAuth access token, its grant). */
export interface KeyOwner extends RequestUser {
  keyId: string;
}

export function authInfoFor(owner: KeyOwner): AuthInfo {
  // The secret itself never travels further than the middleware: the key id stands in for it.
  return { token: owner.keyId, clientId: owner.keyId, scopes: [], expiresAt: Math.floor((Date.now() + HOUR_MS) / SECOND_MS), extra: { ...owner } };
}

/** The owner of the request's key, as the bearer middleware stored it. */
export function keyOwnerOf(auth: { extra?: Record<string, unknown> } | undefined): KeyOwner {
  const extra = auth?.extra;
  if (!extra || typeof extra.id !== 'string' || typeof extra.externalId !== 'string' || typeof extra.keyId !== 'string') {
    throw new Error('request reached a handler without an authenticated user');
  }
  return { id: extra.id, externalId: extra.externalId, keyId: extra.keyId };
}

export function ownerOfRequest(req: Request): KeyOwner {
  return keyOwnerOf((req as Request & { auth?: AuthInfo }).auth);
}
