/**
 * The "Connected clients" card: the applications the user let in with OAuth (claude.ai, ChatGPT…),
 * each with when it was connected and last used, and a Revoke button that ends its access at once.
 */

import { ApiError } from './api-client.js';

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export class ConnectedClients {
  /**
   * @param {import('./api-client.js').ApiClient} api
   * @param {{ list: HTMLElement, empty: HTMLElement, status: HTMLElement }} elements
   * @param {(error: unknown) => boolean} handleCommonError what every request can meet (401, network)
   */
  constructor(api, elements, handleCommonError) {
    this.api = api;
    this.elements = elements;
    this.handleCommonError = handleCommonError;
    /** Bumped by every load and by `clear`: only the latest answer is shown. */
    this.loads = 0;
  }

  clear() {
    this.loads += 1;
    this.elements.list.replaceChildren();
    this.elements.empty.hidden = true;
    this.#say('', 'info');
  }

  async load() {
    const load = ++this.loads;
    try {
      const { grants } = await this.api.grants();
      if (load !== this.loads) return;
      this.elements.list.replaceChildren(...grants.map((grant) => this.#item(grant)));
      this.elements.empty.hidden = grants.length > 0;
    } catch (error) {
      if (load !== this.loads) return;
      if (!this.handleCommonError(error)) this.#say(`Connected clients could not be loaded: ${messageOf(error)}`, 'error');
    }
  }

  #item(grant) {
    const name = grant.client_name || 'An unnamed application';
    const item = document.createElement('li');
    item.className = 'memory';
    item.dataset.testid = 'connected-client';

    const text = document.createElement('div');
    text.className = 'memory-text';
    const title = document.createElement('p');
    title.className = 'memory-content';
    title.dataset.testid = 'connected-client-name';
    title.textContent = grant.redirect_host ? `${name} (${grant.redirect_host})` : name;
    const dates = document.createElement('p');
    dates.className = 'memory-dates muted';
    dates.append('Connected ', time(grant.created_at), ' · ');
    if (grant.last_used_at) dates.append('last used ', time(grant.last_used_at));
    else dates.append('not used yet');
    text.append(title, dates);

    const revoke = document.createElement('button');
    revoke.type = 'button';
    revoke.className = 'button subtle danger';
    revoke.dataset.testid = 'revoke-client';
    revoke.setAttribute('aria-label', `Revoke ${name}`);
    revoke.textContent = 'Revoke';
    revoke.addEventListener('click', () => void this.#revoke(grant, name, item, revoke));

    const actions = document.createElement('div');
    actions.className = 'memory-actions';
    actions.append(revoke);
    item.append(text, actions);
    return item;
  }

  async #revoke(grant, name, item, button) {
    button.disabled = true;
    button.textContent = 'Revoking…';
    try {
      await this.api.revokeGrant(grant.id);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        button.disabled = false;
        button.textContent = 'Revoke';
        if (!this.handleCommonError(error)) this.#say(`${name} could not be revoked: ${messageOf(error)}`, 'error');
        return;
      }
    }
    item.remove();
    this.elements.empty.hidden = this.elements.list.children.length > 0;
    this.#say(`${name} can no longer use your memories.`, 'info');
  }

  #say(text, tone) {
    this.elements.status.textContent = text;
    this.elements.status.dataset.tone = tone;
  }
}

function time(iso) {
  const element = document.createElement('time');
  element.dateTime = iso;
  const date = new Date(iso);
  element.textContent = Number.isNaN(date.getTime()) ? String(iso) : dateTimeFormat.format(date);
  return element;
}

function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}
