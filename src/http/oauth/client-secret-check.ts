import { timingSafeEqual } from 'node:crypto';
import { InvalidClientError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import express, { type RequestHandler } from 'express';
import { hashApiKey as hashSecret } from '../../repositories/api-key-repository.js';
import type { OAuthClientRepository } from '../../repositories/oauth-client-repository.js';

/**
 * Authenticates a confidential client at the token and revocation endpoints by its secret's hash,
 * in constant time, before the SDK's handlers run (they only see clients without a secret, see
 * `OAuthClientsStore`). Public clients, and requests without a client id, pass through to them.
 */
export function clientSecretCheck(clients: OAuthClientRepository): RequestHandler[] {
  return [
    express.urlencoded({ extended: false, limit: '16kb' }),
    async (req, res, next) => {
      const { client_id: clientId, client_secret: secret } = (req.body ?? {}) as Record<string, unknown>;
      if (typeof clientId !== 'string') return next();
      const client = await clients.find(clientId);
      if (!client?.secretHash) return next();
      const expected = Buffer.from(client.secretHash, 'hex');
      if (typeof secret !== 'string' || !timingSafeEqual(Buffer.from(hashSecret(secret), 'hex'), expected)) {
        res.status(401).set('Cache-Control', 'no-store').json(new InvalidClientError('client_secret is missing or wrong').toResponseObject());
        return;
      }
      next();
    },
  ];
}
