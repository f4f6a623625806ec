import type { OAuthClientInformationFull } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { OAuthUrls } from './oauth-urls.js';

/** Where the consent form is posted. */
export const CONSENT_PATH = '/oauth/consent';

/**
 * The page runs nothing and may be framed by nobody (clickjacking): its only resources are the
 * dashboard's stylesheet, and the form posts back here.
 */
export const CONSENT_PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  // Not no-referrer: a form posted under it carries `Origin: null`, which the Origin check refuses.
  'Referrer-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/**
 * The CSRF token rides in a cookie named after the pending authorization as well as in the form:
 * a post must carry both and they must agree, which a page elsewhere cannot arrange (the cookie
 * is HttpOnly and SameSite=Strict), so it cannot submit the form with a key of its own.
 */
export function consentCookieName(pendingId: string): string {
  return `nmcp_consent_${pendingId.slice(0, 16)}`;
}

export function consentCookie(pendingId: string, csrf: string, urls: OAuthUrls, maxAgeMs: number): Record<string, string> {
  const secure = urls.publicUrl.startsWith('https:') ? '; Secure' : '';
  return {
    ...CONSENT_PAGE_HEADERS,
    'Set-Cookie': `${consentCookieName(pendingId)}=${csrf}; Path=${CONSENT_PATH}; Max-Age=${Math.max(1, Math.floor(maxAgeMs / 1000))}; HttpOnly; SameSite=Strict${secure}`,
  };
}

export function clearConsentCookie(pendingId: string): string {
  return `${consentCookieName(pendingId)}=; Path=${CONSENT_PATH}; Max-Age=0; HttpOnly; SameSite=Strict`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** Where the client sends the user back to, as a person recognises it: the host, or an app's own scheme. */
export function redirectTarget(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.host === '' ? url.protocol : url.host;
}

export interface ConsentPageContent {
  client: Pick<OAuthClientInformationFull, 'client_id' | 'client_name' | 'client_uri'>;
  redirectUri: string;
  pendingId: string;
  csrf: string;
  /** Shown above the form after a refused key. */
  error?: string;
}

/** The sign-in and consent page, in the dashboard's look, without a line of script. */
export function renderConsentPage({ client, redirectUri, pendingId, csrf, error }: ConsentPageContent): string {
  const name = escapeHtml(client.client_name?.trim() || 'An unnamed application');
  const target = escapeHtml(redirectTarget(redirectUri));
  return page(
    `Connect ${name}`,
    `      <section class="card key-card" aria-labelledby="consent-title" data-testid="consent">
        <h1 id="consent-title"><span data-testid="client-name">${name}</span> asks to use your memories</h1>
        <p class="muted">
          If you approve, it may read your narrative and memories and add, correct and delete memories
          for you, until you revoke it under “Connected clients” in your dashboard. You will be sent back to
          <strong data-testid="redirect-host">${target}</strong>.
        </p>
        <p class="muted">Client id: <code>${escapeHtml(client.client_id)}</code></p>
        <form method="post" action="${CONSENT_PATH}" data-testid="consent-form">
          <input type="hidden" name="request" value="${escapeHtml(pendingId)}">
          <input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
          <label for="api-key">Your API key</label>
          <input id="api-key" name="api_key" type="password" autocomplete="off" spellcheck="false" autocapitalize="off"
                 data-testid="api-key" aria-describedby="consent-error">
          <p id="consent-error" class="error-text" role="alert" data-testid="consent-error">${error === undefined ? '' : escapeHtml(error)}</p>
          <p class="muted">Make one with <code>narrative-mcp keys create --user YOUR_ID</code>. It is checked once and not kept by the client.</p>
          <div class="card-head">
            <button type="submit" name="decision" value="approve" class="button primary" data-testid="approve">Approve</button>
            <button type="submit" name="decision" value="deny" class="button danger" data-testid="deny">Deny</button>
          </div>
        </form>
      </section>`,
  );
}

/** A page that only explains, for a form that cannot be answered any more. */
export function renderConsentMessage(title: string, message: string): string {
  return page(
    escapeHtml(title),
    `      <section class="card key-card" data-testid="consent-message">
        <h1>${escapeHtml(title)}</h1>
        <p class="muted">${escapeHtml(message)}</p>
      </section>`,
  );
}

/** A whole page in the dashboard's look around `main`; `title` is HTML, already escaped. */
function page(title: string, main: string): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <title>${title} · narrative-mcp</title>
    <link rel="stylesheet" href="/dashboard.css">
  </head>
  <body>
    <header class="site-header"><span class="brand">narrative-mcp</span></header>
    <main class="page">
${main}
    </main>
  </body>
</html>
`;
}
