import { timingSafeEqual } from 'node:crypto';
import express, { Router, type Response } from 'express';
import { z } from 'zod';
import type { ApiKeyRepository } from '../../repositories/api-key-repository.js';
import { ACCESS_TOKEN_PREFIX, type OAuthGrantRepository } from '../../repositories/oauth-grant-repository.js';
import {
  CONSENT_PAGE_HEADERS,
  CONSENT_PATH,
  clearConsentCookie,
  consentCookieName,
  renderConsentMessage,
  renderConsentPage,
} from './consent-page.js';
import type { OAuthClientsStore } from './oauth-clients-store.js';
import type { OAuthUrls } from './oauth-urls.js';

const consentForm = z.object({
  request: z.string().min(1).max(200),
  csrf: z.string().min(1).max(200),
  decision: z.enum(['approve', 'deny']),
  api_key: z.string().max(1000).optional(),
});

const START_AGAIN = 'Start connecting again from your application.';

export interface ConsentDependencies {
  apiKeys: ApiKeyRepository;
  grants: OAuthGrantRepository;
  clients: OAuthClientsStore;
  urls: OAuthUrls;
}

/**
 * The answer to the consent page (`POST /oauth/consent`): deny sends the user back with
 * `error=access_denied`; approve checks the API key, records the grant and sends the user back
 * with a single-use code. Both carry `state` and `iss` (RFC 9207).
 */
export function consentRoutes({ apiKeys, grants, clients, urls }: ConsentDependencies): Router {
  const router = Router();
  const page = (res: Response, status: number, title: string, message: string) =>
    res.status(status).set(CONSENT_PAGE_HEADERS).type('html').send(renderConsentMessage(title, message));

  router.post(CONSENT_PATH, express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const form = consentForm.safeParse(req.body);
    if (!form.success) return page(res, 400, 'This form is incomplete', START_AGAIN);
    const { request, csrf, decision } = form.data;
    const cookie = cookieValue(req.headers.cookie, consentCookieName(request));
    if (cookie === undefined || !sameText(cookie, csrf)) {
      return page(res, 403, 'This form cannot be accepted', `It was not opened in this browser, or it has expired. ${START_AGAIN}`);
    }
    const pending = await grants.findPending(request, csrf);
    if (!pending) return page(res, 400, 'This request has expired', `It was answered already, or left open too long. ${START_AGAIN}`);

    const sendBack = (answer: Record<string, string>) => {
      const target = new URL(pending.redirect_uri);
      for (const [name, value] of Object.entries(answer)) target.searchParams.set(name, value);
      if (pending.state !== null) target.searchParams.set('state', pending.state);
      target.searchParams.set('iss', urls.issuer);
      res.set(CONSENT_PAGE_HEADERS).set('Set-Cookie', clearConsentCookie(request)).redirect(303, target.href);
    };

    if (decision === 'deny') {
      if (!(await grants.takePending(request))) return page(res, 400, 'This request has expired', START_AGAIN);
      return sendBack({ error: 'access_denied', error_description: 'The user denied access.' });
    }
    const key = form.data.api_key?.trim() ?? '';
    // Only API keys sign a person in here: an access token is a client's, not the user's.
    const owner = key === '' || key.startsWith(ACCESS_TOKEN_PREFIX) ? undefined : await apiKeys.findOwnerByKey(key);
    if (!owner) {
      const client = await clients.getClient(pending.client_id);
      if (!client) return page(res, 400, 'This application is no longer registered', START_AGAIN);
      const error = key === '' ? 'Paste one of your API keys to approve.' : 'This key is unknown or revoked.';
      return res
        .status(401)
        .set(CONSENT_PAGE_HEADERS)
        .type('html')
        .send(renderConsentPage({ client, redirectUri: pending.redirect_uri, pendingId: request, csrf, error }));
    }
    const approved = await grants.approve(owner.id, request, pending);
    if (!approved) return page(res, 400, 'This request has expired', START_AGAIN);
    sendBack({ code: approved.code });
  });

  return router;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
