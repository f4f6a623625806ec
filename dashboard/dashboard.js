/**
 * The dashboard: signs in with an API key (kept in session storage), shows the user's narrative,
 * waits for a new one with polling that backs off, regenerates it on demand, lists memories (a
 * page at a time, by creation date, or searched), adds, corrects and deletes them. All user data
 * reaches the page as text nodes, never as HTML. Date filters are whole days in the browser's zone.
 *
 * Query parameters (for tests and the curious): `poll` is the first polling delay in ms
 * (default 1000, doubling up to 30 s), `page_size` the number of memories per page (default 50).
 */
import { ApiClient, ApiError, NetworkError } from './api-client.js';
import { ConnectedClients } from './connected-clients.js';
import { dayRangeProblem, isWithinDays, localDayRange } from './day-range.js';
import { renderChanges } from './render-changes.js';
import { renderNarrative } from './render-narrative.js';

const KEY_STORAGE = 'narrative-mcp.api-key';
const GENERATING = 'Your narrative is being generated and will appear here when ready';
const REGENERATING = 'Writing a new version of your narrative…';
const REWRITING = 'Your narrative is being rewritten without the deleted memory…';
const REWRITING_CORRECTED = 'Your narrative is being rewritten with the corrected memory…';
const UPDATING = 'A new version of your narrative is being written…';
const MAX_POLL_MS = 30_000;
const SEARCH_DELAY_MS = 250;
const SEARCH_LIMIT = 100;

const query = new URLSearchParams(location.search);
const FIRST_POLL_MS = boundedInteger(query.get('poll'), 1000, 10, MAX_POLL_MS);
const PAGE_SIZE = boundedInteger(query.get('page_size'), 50, 1, 100);

const STALE_REASONS = {
  expired: 'it is older than the refresh interval',
  new_memories: 'many memories were added since it was written',
  memory_deleted: 'a memory it was written from has been deleted',
  memory_updated: 'a memory it was written from has been corrected',
  memory_expired: 'a memory it was written from has expired',
};
const FAILURE_KINDS = {
  rate_limited: 'the language model service was busy',
  server_error: 'the language model service had an error',
  timeout: 'the language model took too long',
  network: 'the language model service could not be reached',
  blocked: 'the language model refused the request',
  empty: 'the language model gave an empty answer',
  invalid_output: 'the language model gave an unusable answer',
  unauthorized: 'the server’s language model key was refused',
  bad_request: 'the language model rejected the request',
  aborted: 'the work was interrupted',
};

const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const numberFormat = new Intl.NumberFormat();
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

const ui = {
  signOut: byId('sign-out'),
  keyView: byId('key-view'),
  keyForm: /** @type {HTMLFormElement} */ (byId('key-form')),
  keyInput: /** @type {HTMLInputElement} */ (byId('key-input')),
  keyError: byId('key-error'),
  keySubmit: /** @type {HTMLButtonElement} */ (byId('key-form').querySelector('button[type=submit]')),
  dashboard: byId('dashboard-view'),
  connectionError: byId('connection-error'),
  retry: /** @type {HTMLButtonElement} */ (byId('retry')),
  regenerate: /** @type {HTMLButtonElement} */ (byId('regenerate')),
  regenerateMessage: byId('regenerate-message'),
  narrativeMeta: byId('narrative-meta'),
  narrativeVersion: byId('narrative-version'),
  narrativeDate: /** @type {HTMLTimeElement} */ (byId('narrative-date')),
  staleBadge: byId('stale-badge'),
  narrativeStatus: byId('narrative-status'),
  lastFailure: byId('last-failure'),
  narrativeBody: byId('narrative-body'),
  changes: byId('changes'),
  changesBody: byId('changes-body'),
  memoryCount: byId('memory-count'),
  memoriesTitle: byId('memories-title'),
  memoriesStatus: byId('memories-status'),
  memoriesEmpty: byId('memories-empty'),
  memoryList: byId('memory-list'),
  memoriesShown: byId('memories-shown'),
  loadMore: /** @type {HTMLButtonElement} */ (byId('load-more')),
  addForm: /** @type {HTMLFormElement} */ (byId('add-form')),
  addTtl: /** @type {HTMLSelectElement} */ (byId('add-ttl')),
  addInput: /** @type {HTMLTextAreaElement} */ (byId('add-input')),
  addSubmit: /** @type {HTMLButtonElement} */ (byId('add-submit')),
  addError: byId('add-error'),
  searchForm: /** @type {HTMLFormElement} */ (byId('search-form')),
  searchInput: /** @type {HTMLInputElement} */ (byId('search-input')),
  searchClear: /** @type {HTMLButtonElement} */ (byId('search-clear')),
  dateFrom: /** @type {HTMLInputElement} */ (byId('date-from')),
  dateTo: /** @type {HTMLInputElement} */ (byId('date-to')),
  datesClear: /** @type {HTMLButtonElement} */ (byId('dates-clear')),
  datesError: byId('dates-error'),
  datesHint: byId('dates-hint'),
};

const state = {
  key: sessionStorage.getItem(KEY_STORAGE),
  /** Bumped on sign-in and sign-out: answers to an older session's requests are dropped. */
  session: 0,
  /** Bumped by each narrative refresh: only the latest one's answer is shown. */
  refreshes: 0,
  /** Bumped by each memory page load, likewise. */
  memoryLoads: 0,
  /** @type {{ version: number, narrative: string } | null} */
  shown: null,
  /**
   * A new narrative version we are waiting for, above `above` (null: any narrative).
   * @type {{ above: number | null, message: string, regenerating: boolean, failureBefore: string | null, idleSeen: number } | null}
   */
  wait: null,
  lastFailureAt: /** @type {string | null} */ (null),
  /** The changes shown, as JSON, so a poll that brings the same ones redraws nothing. */
  changesShown: /** @type {string | null} */ (null),
  /** Whether the user has enough memories for a narrative, as the last status said. */
  eligible: false,
  memoryCount: /** @type {number | null} */ (null),
  /**
   * What the memory list shows: the newest memories, or the best matches of `query` when there is
   * one, created within `days` (`YYYY-MM-DD` in the browser's zone, '' for an open end).
   * @type {{ query: string, days: { from: string, to: string } }}
   */
  view: { query: '', days: { from: '', to: '' } },
  /** How many memories the list has in all (within the dates), as the last page said; null for search results. */
  listTotal: /** @type {number | null} */ (null),
  searchTimer: /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined),
  cursor: /** @type {string | null} */ (null),
  pollDelay: FIRST_POLL_MS,
  pollTimer: /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined),
};

const api = new ApiClient(() => state.key);
const connectedClients = new ConnectedClients(
  api,
  { list: byId('client-list'), empty: byId('clients-empty'), status: byId('clients-status') },
  (error) => handleCommonError(error),
);

ui.keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void signIn(ui.keyInput.value.trim());
});
ui.signOut.addEventListener('click', (event) => {
  event.preventDefault();
  signOut('');
});
ui.retry.addEventListener('click', () => reload());
ui.regenerate.addEventListener('click', () => void regenerate());
ui.loadMore.addEventListener('click', () => void loadMemories(state.session, false));
ui.addForm.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && event.target === ui.addInput && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    ui.addForm.requestSubmit();
  }
});
ui.addForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void addMemory();
});
ui.addInput.addEventListener('input', () => {
  if (ui.addError.textContent) showAddError('');
});
ui.searchInput.addEventListener('input', () => {
  ui.searchClear.hidden = ui.searchInput.value === '';
  clearTimeout(state.searchTimer);
  state.searchTimer = setTimeout(() => showMemories(state.session), SEARCH_DELAY_MS);
});
ui.searchInput.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && ui.searchInput.value !== '') {
    event.preventDefault();
    clearSearch();
  }
});
ui.searchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  showMemories(state.session, true);
});
ui.searchClear.addEventListener('click', () => {
  clearSearch();
  ui.searchInput.focus();
});
for (const input of [ui.dateFrom, ui.dateTo]) input.addEventListener('change', () => showMemories(state.session));
ui.datesClear.addEventListener('click', () => {
  ui.dateFrom.value = '';
  ui.dateTo.value = '';
  showMemories(state.session);
  ui.dateFrom.focus();
});
ui.datesHint.textContent = `Whole days, both included, in your time zone (${Intl.DateTimeFormat().resolvedOptions().timeZone}).`;

if (state.key) openDashboard();
else showKeyForm('');

// ── Signing in and out ──────────────────────────────────────────────────────────────────────

async function signIn(key) {
  if (!key) {
    showKeyError('Enter your API key.');
    return;
  }
  setBusy(ui.keySubmit, true, 'Checking…');
  showKeyError('');
  state.key = key;
  try {
    await api.status();
  } catch (error) {
    state.key = null;
    if (error instanceof ApiError && error.status === 401) showKeyError('That key was not accepted. Check it and try again.');
    else if (error instanceof NetworkError) showKeyError('Cannot reach the server. Check that it is running, then try again.');
    else showKeyError(`The key could not be checked: ${messageOf(error)}`);
    ui.keyInput.focus();
    return;
  } finally {
    setBusy(ui.keySubmit, false, 'Open dashboard');
  }
  sessionStorage.setItem(KEY_STORAGE, key);
  ui.keyInput.value = '';
  openDashboard();
}

/** Forgets the key and shows the key form, with a message when the key stopped working. */
function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  state.key = null;
  showKeyForm(message);
}

function showKeyForm(message) {
  endSession();
  ui.dashboard.hidden = true;
  ui.signOut.hidden = true;
  ui.keyView.hidden = false;
  showKeyError(message);
  ui.keyInput.focus();
}

function showKeyError(message) {
  ui.keyError.textContent = message;
  ui.keyInput.setAttribute('aria-invalid', message ? 'true' : 'false');
}

function openDashboard() {
  endSession();
  ui.keyView.hidden = true;
  ui.dashboard.hidden = false;
  ui.signOut.hidden = false;
  setStatus('Loading your narrative…', 'pending');
  reload();
}

/** Drops everything the previous session showed or was waiting for. */
function endSession() {
  state.session += 1;
  clearTimeout(state.pollTimer);
  state.shown = null;
  state.wait = null;
  state.lastFailureAt = null;
  state.eligible = false;
  state.memoryCount = null;
  state.view = { query: '', days: { from: '', to: '' } };
  state.listTotal = null;
  clearTimeout(state.searchTimer);
  state.cursor = null;
  state.pollDelay = FIRST_POLL_MS;
  ui.connectionError.hidden = true;
  ui.narrativeMeta.hidden = true;
  ui.narrativeBody.hidden = true;
  ui.narrativeBody.replaceChildren();
  showChanges(null);
  ui.lastFailure.hidden = true;
  ui.lastFailure.replaceChildren();
  ui.memoryList.replaceChildren();
  ui.memoriesEmpty.hidden = true;
  ui.memoriesShown.textContent = '';
  ui.loadMore.hidden = true;
  ui.memoryCount.textContent = '';
  ui.addInput.value = '';
  showAddError('');
  ui.searchInput.value = '';
  ui.searchClear.hidden = true;
  ui.dateFrom.value = '';
  ui.dateTo.value = '';
  showDatesError('');
  setRegenerating(false);
  setStatus('', 'info');
  setMessage(ui.regenerateMessage, '', 'info');
  setMessage(ui.memoriesStatus, '', 'info');
  connectedClients.clear();
}

/** What every request can meet. Returns true when the error was dealt with here. */
function handleCommonError(error) {
  if (error instanceof ApiError && error.status === 401) {
    signOut('Your key is no longer accepted (it may have been revoked). Enter a current key.');
    return true;
  }
  if (error instanceof NetworkError) {
    ui.connectionError.hidden = false;
    return true;
  }
  return false;
}

// ── The narrative ───────────────────────────────────────────────────────────────────────────

function reload() {
  ui.connectionError.hidden = true;
  state.pollDelay = FIRST_POLL_MS;
  void refresh(state.session);
  showMemories(state.session, true);
  void connectedClients.load();
}

/**
 * Fetches the narrative and its status, shows them, and decides whether to poll again: while
 * there is no narrative yet, while a new version is awaited, or while the server is unreachable.
 */
async function refresh(session) {
  clearTimeout(state.pollTimer);
  const refreshNumber = ++state.refreshes;
  let narrative;
  let status;
  try {
    // Narrative first: a status that says "idle" then covers the narrative we hold.
    narrative = await api.narrative();
    status = await api.status();
  } catch (error) {
    if (session !== state.session || refreshNumber !== state.refreshes) return;
    if (error instanceof ApiError && error.status === 429) {
      schedulePoll(session, (error.retryAfterSeconds ?? 0) * 1000);
    } else if (!handleCommonError(error)) {
      setStatus(`Your narrative could not be loaded: ${messageOf(error)}`, 'error');
      schedulePoll(session);
    } else if (error instanceof NetworkError) {
      schedulePoll(session);
    }
    return;
  }
  if (session !== state.session || refreshNumber !== state.refreshes) return;
  ui.connectionError.hidden = true;
  showStatus(status);
  if (narrative) showNarrative(narrative);
  decideWhatNext(session, narrative, status);
}

function decideWhatNext(session, narrative, status) {
  const wait = state.wait;
  if (!narrative) {
    if (!status.eligible) {
      finishWait(
        `Your narrative is written once you have at least ${status.min_memories} memories; you have ${status.memory_count}.`,
        'info',
      );
      schedulePoll(session, MAX_POLL_MS);
      return;
    }
    setStatus(wait?.message ?? GENERATING, 'pending');
    schedulePoll(session);
    return;
  }
  if (wait) {
    if (wait.above === null || narrative.version > wait.above) {
      finishWait('', 'info');
      return;
    }
    const failure = status.last_failure;
    if (status.job === 'idle' && failure && failure.at !== wait.failureBefore) {
      finishWait('The new version could not be written; the narrative below is the last good one.', 'error');
      return;
    }
    // The job ended without writing (another process did, or it was dropped): stop waiting.
    if (status.job === 'idle' && ++wait.idleSeen >= 3) {
      finishWait('', 'info');
      return;
    }
    setStatus(wait.message, 'pending');
    schedulePoll(session);
    return;
  }
  if (status.job !== 'idle') {
    startWait(session, { above: narrative.version, message: UPDATING, regenerating: false });
    return;
  }
  state.pollDelay = FIRST_POLL_MS;
  setStatus('', 'info');
}

function schedulePoll(session, atLeastMs = 0) {
  clearTimeout(state.pollTimer);
  const delay = Math.max(state.pollDelay, atLeastMs);
  state.pollDelay = Math.min(MAX_POLL_MS, state.pollDelay * 2);
  state.pollTimer = setTimeout(() => void refresh(session), delay);
}

/** Waits for a narrative newer than `above`, showing `message` meanwhile. */
function startWait(session, { above, message, regenerating }) {
  state.wait = { above, message, regenerating, failureBefore: state.lastFailureAt, idleSeen: 0 };
  setRegenerating(regenerating);
  ui.narrativeBody.classList.toggle('is-outdated', state.shown !== null);
  setStatus(message, 'pending');
  state.pollDelay = FIRST_POLL_MS;
  schedulePoll(session);
}

function finishWait(message, tone) {
  state.wait = null;
  state.pollDelay = FIRST_POLL_MS;
  setRegenerating(false);
  ui.narrativeBody.classList.remove('is-outdated');
  setStatus(message, tone);
}

function showNarrative(narrative) {
  if (state.shown?.version !== narrative.version || state.shown.narrative !== narrative.narrative) {
    ui.narrativeBody.replaceChildren(renderNarrative(String(narrative.narrative ?? '')));
    state.shown = { version: narrative.version, narrative: narrative.narrative };
  }
  ui.narrativeBody.hidden = false;
  ui.narrativeMeta.hidden = false;
  ui.narrativeVersion.textContent = String(narrative.version);
  ui.narrativeDate.dateTime = narrative.generated_at;
  ui.narrativeDate.textContent = formatDateTime(narrative.generated_at);
  ui.staleBadge.hidden = !narrative.stale;
  const reasons = (narrative.stale_reasons ?? []).map((reason) => STALE_REASONS[reason] ?? reason);
  ui.staleBadge.title = reasons.length > 0 ? `Stale: ${reasons.join('; ')}` : 'Stale';
  ui.staleBadge.replaceChildren('Stale', visuallyHidden(reasons.length > 0 ? `: ${reasons.join('; ')}` : ''));
}

function showStatus(status) {
  state.memoryCount = status.memory_count;
  showMemoryCount();
  state.eligible = status.eligible;
  ui.regenerate.disabled = !status.eligible || Boolean(state.wait?.regenerating);
  ui.regenerate.title = status.eligible ? '' : `A narrative needs at least ${status.min_memories} memories.`;
  showChanges(status.changes ?? null);
  const failure = status.last_failure;
  state.lastFailureAt = failure?.at ?? null;
  ui.lastFailure.hidden = !failure;
  if (!failure) {
    ui.lastFailure.replaceChildren();
    return;
  }
  const what = FAILURE_KINDS[failure.kind] ?? failure.kind;
  const repeated = failure.consecutive_failures > 1 ? ` It has failed ${failure.consecutive_failures} times in a row.` : '';
  const summary = document.createElement('p');
  summary.append(strong('The last background update failed'), ` on ${formatDateTime(failure.at)}: ${what}.${repeated}`);
  const detail = document.createElement('p');
  detail.className = 'failure-detail';
  detail.dataset.testid = 'last-failure-message';
  detail.textContent = failure.message;
  const after = document.createElement('p');
  after.className = 'muted';
  after.textContent = status.narrative
    ? 'The narrative shown is the last one written successfully. It will be tried again.'
    : 'It will be tried again.';
  ui.lastFailure.replaceChildren(...(failure.message ? [summary, detail, after] : [summary, after]));
}

/** Shows what changed in the current version; redrawn only when the version or its kept text changes. */
function showChanges(changes) {
  ui.changes.hidden = changes === null;
  const shown = changes === null ? null : JSON.stringify(changes);
  if (state.changesShown === shown) return;
  state.changesShown = shown;
  if (changes === null) {
    ui.changesBody.replaceChildren();
    return;
  }
  ui.changesBody.replaceChildren(renderChanges(changes, formatDateTime));
}

async function regenerate() {
  const session = state.session;
  setRegenerating(true);
  setMessage(ui.regenerateMessage, '', 'info');
  try {
    await api.regenerate();
  } catch (error) {
    if (session !== state.session) return;
    setRegenerating(Boolean(state.wait?.regenerating));
    if (error instanceof ApiError && error.status === 429) {
      setMessage(ui.regenerateMessage, rateLimitedMessage(error.retryAfterSeconds), 'warning');
    } else if (error instanceof ApiError && error.code === 'not_eligible') {
      setMessage(ui.regenerateMessage, error.message, 'info');
    } else if (!handleCommonError(error)) {
      setMessage(ui.regenerateMessage, `The narrative could not be regenerated: ${messageOf(error)}`, 'error');
    }
    return;
  }
  if (session !== state.session) return;
  startWait(session, { above: state.shown?.version ?? null, message: REGENERATING, regenerating: true });
}

function setRegenerating(regenerating) {
  setBusy(ui.regenerate, regenerating, regenerating ? 'Regenerating…' : 'Regenerate');
  ui.regenerate.disabled = regenerating || !state.eligible;
}

function rateLimitedMessage(retryAfterSeconds) {
  if (retryAfterSeconds === null) return 'You have asked for new versions often recently. Try again later.';
  const at = new Date(Date.now() + retryAfterSeconds * 1000);
  return `You have asked for new versions often recently. You can regenerate again at ${formatTime(at)} (${formatIn(retryAfterSeconds)}).`;
}

// ── Memories ────────────────────────────────────────────────────────────────────────────────

/**
 * Shows the memories the search field and the dates ask for: the best matches of the search, or
 * the newest memories a page at a time. Nothing is asked while the dates are the wrong way round,
 * nor (unless `force`) when they and the search are what is shown already.
 */
function showMemories(session, force = false) {
  clearTimeout(state.searchTimer);
  ui.datesClear.hidden = !ui.dateFrom.value && !ui.dateTo.value;
  const days = { from: ui.dateFrom.value, to: ui.dateTo.value };
  const problem = dayRangeProblem(days);
  showDatesError(problem ?? '');
  if (problem) return;
  const view = { query: ui.searchInput.value.trim(), days };
  const same = view.query === state.view.query && days.from === state.view.days.from && days.to === state.view.days.to;
  if (same && !force) return;
  state.view = view;
  if (view.query) void searchMemories(session);
  else void loadMemories(session, true);
}

function clearSearch() {
  ui.searchInput.value = '';
  ui.searchClear.hidden = true;
  showMemories(state.session);
}

async function loadMemories(session, reset) {
  const loadNumber = ++state.memoryLoads;
  const view = state.view;
  setBusy(ui.loadMore, true, 'Loading…');
  if (reset) ui.memoryList.setAttribute('aria-busy', 'true');
  try {
    const page = await api.memories(PAGE_SIZE, reset ? null : state.cursor, localDayRange(view.days));
    if (session !== state.session || loadNumber !== state.memoryLoads) return;
    const focusWasOnLoadMore = document.activeElement === ui.loadMore;
    if (reset) ui.memoryList.replaceChildren();
    const present = new Set([...ui.memoryList.children].map((item) => /** @type {HTMLElement} */ (item).dataset.memoryId));
    const fresh = page.memories.filter((memory) => !present.has(memory.id)).map(memoryItem);
    ui.memoryList.append(...fresh);
    state.cursor = page.next_cursor;
    state.listTotal = page.total;
    ui.loadMore.hidden = !page.next_cursor;
    const filtered = Boolean(view.days.from || view.days.to);
    ui.memoriesEmpty.hidden = ui.memoryList.children.length > 0 || filtered;
    showShown();
    if (reset) {
      const none = filtered && page.total === 0 ? `No memories were created ${daysText(view.days)}.` : '';
      setMessage(ui.memoriesStatus, filtered && !none ? `${countText(page.total)} created ${daysText(view.days)}.` : none, 'info');
    } else {
      setMessage(ui.memoriesStatus, `Loaded ${countText(fresh.length, 'more')}. ${ui.memoriesShown.textContent}.`, 'info');
      // Keyboard users continue from the first memory loaded, not from the top of the page.
      if (fresh[0]) fresh[0].focus();
      else if (focusWasOnLoadMore && ui.loadMore.hidden) ui.memoriesTitle.focus();
    }
  } catch (error) {
    if (session !== state.session || loadNumber !== state.memoryLoads) return;
    if (!handleCommonError(error)) setMessage(ui.memoriesStatus, `Memories could not be loaded: ${messageOf(error)}`, 'error');
  } finally {
    if (loadNumber === state.memoryLoads) {
      setBusy(ui.loadMore, false, 'Load more');
      ui.memoryList.removeAttribute('aria-busy');
    }
  }
}

/** Shows the memories that best match the search, within the dates; no paging: the best `SEARCH_LIMIT` at most. */
async function searchMemories(session) {
  const loadNumber = ++state.memoryLoads;
  const view = state.view;
  ui.loadMore.hidden = true;
  ui.memoryList.setAttribute('aria-busy', 'true');
  setMessage(ui.memoriesStatus, 'Searching…', 'pending');
  try {
    const { memories } = await api.search(view.query, SEARCH_LIMIT, localDayRange(view.days));
    if (session !== state.session || loadNumber !== state.memoryLoads) return;
    ui.memoryList.replaceChildren(...memories.map(memoryItem));
    state.cursor = null;
    state.listTotal = null;
    ui.memoriesEmpty.hidden = true;
    showShown();
    setMessage(ui.memoriesStatus, `${matchesText(memories.length, view)}.`, 'info');
  } catch (error) {
    if (session !== state.session || loadNumber !== state.memoryLoads) return;
    if (!handleCommonError(error)) setMessage(ui.memoriesStatus, `The search failed: ${messageOf(error)}`, 'error');
  } finally {
    if (loadNumber === state.memoryLoads) ui.memoryList.removeAttribute('aria-busy');
  }
}

/** "Showing 50 of 1,200" under the newest memories; how many matches under search results. */
function showShown() {
  const shown = ui.memoryList.children.length;
  if (state.view.query) {
    ui.memoriesShown.textContent = shown === 0 ? '' : `${matchesText(shown, state.view)}, best first`;
  } else {
    const total = state.listTotal;
    ui.memoriesShown.textContent = total === null || total === 0 ? '' : `Showing ${numberFormat.format(shown)} of ${numberFormat.format(total)}`;
  }
}

/** "3 memories created on 1 May 2025 match “garden”", "No memories match “garden”". */
function matchesText(count, { query, days }) {
  const created = days.from || days.to ? ` created ${daysText(days)}` : '';
  if (count === 0) return `No memories${created} match “${query}”`;
  if (count >= SEARCH_LIMIT) return `The ${numberFormat.format(count)} memories${created} best matching “${query}”`;
  return `${countText(count)}${created} ${count === 1 ? 'matches' : 'match'} “${query}”`;
}

function showDatesError(message) {
  ui.datesError.textContent = message;
  for (const input of [ui.dateFrom, ui.dateTo]) input.setAttribute('aria-invalid', message ? 'true' : 'false');
}

/** "from 1 May 2025 to 3 May 2025", "on 1 May 2025", "since …", "until …". */
function daysText({ from, to }) {
  const day = (text) => dayFormat.format(new Date(`${text}T12:00:00`));
  if (from && to) return from === to ? `on ${day(from)}` : `from ${day(from)} to ${day(to)}`;
  return from ? `since ${day(from)}` : `until ${day(to)}`;
}

function countText(count, adjective = '') {
  const noun = count === 1 ? 'memory' : 'memories';
  return `${numberFormat.format(count)} ${adjective ? `${adjective} ` : ''}${noun}`;
}

/** Adds the memory written in the field: Enter (or Add) adds, Shift+Enter starts a new line. */
async function addMemory() {
  if (ui.addSubmit.disabled) return;
  const content = ui.addInput.value.trim();
  if (!content) {
    showAddError('Write the memory first: a memory cannot be empty.');
    ui.addInput.focus();
    return;
  }
  const session = state.session;
  showAddError('');
  setBusy(ui.addSubmit, true, 'Adding…');
  ui.addInput.readOnly = true;
  let result;
  try {
    result = await api.addMemory(content, Number(ui.addTtl.value) || undefined);
  } catch (error) {
    if (session !== state.session) return;
    if (error instanceof ApiError && error.status === 400) showAddError(capitalized(error.message.replace(/^memories\.0\.content: /, '')) + '.');
    else if (error instanceof ApiError && error.status === 413) showAddError('This memory is too long to send; shorten it.');
    else if (!handleCommonError(error)) showAddError(`The memory could not be added: ${messageOf(error)}`);
    ui.addInput.focus();
    return;
  } finally {
    if (session === state.session) {
      setBusy(ui.addSubmit, false, 'Add');
      ui.addInput.readOnly = false;
    }
  }
  if (session !== state.session) return;
  const memory = result.added[0];
  if (!memory) {
    showAddError('You already have a memory with this text.');
    ui.addInput.focus();
    return;
  }
  ui.addInput.value = '';
  ui.addTtl.value = '';
  state.memoryCount = result.total_memories;
  showMemoryCount();
  if (!state.view.query && isWithinDays(memory.created_at, state.view.days)) {
    ui.memoryList.prepend(memoryItem(memory));
    if (state.listTotal !== null) state.listTotal += 1;
    ui.memoriesEmpty.hidden = true;
    showShown();
    setMessage(ui.memoriesStatus, 'Memory added.', 'info');
  } else {
    setMessage(ui.memoriesStatus, 'Memory added. Clear the search or the dates to see it in the list.', 'info');
  }
  ui.addInput.focus();
  // The narrative's status follows: enough memories for a first one, or a new version on its way.
  void refresh(session);
}

function showAddError(message) {
  ui.addError.textContent = message;
  ui.addInput.setAttribute('aria-invalid', message ? 'true' : 'false');
}

function memoryItem(memory) {
  const item = document.createElement('li');
  item.className = 'memory';
  item.dataset.testid = 'memory';
  item.dataset.memoryId = memory.id;
  item.tabIndex = -1;
  showMemory(item, memory);
  return item;
}

/** Shows the memory with its actions in its list item; returns the edit button. */
function showMemory(item, memory) {
  const text = document.createElement('div');
  text.className = 'memory-text';
  const content = document.createElement('p');
  content.className = 'memory-content';
  content.dataset.testid = 'memory-content';
  content.textContent = memory.content;
  const dates = document.createElement('p');
  dates.className = 'memory-dates muted';
  dates.append(timeElement(memory.created_at));
  if (memory.updated_at) {
    const edited = timeElement(memory.updated_at);
    edited.dataset.testid = 'memory-edited';
    dates.append(' · edited ', edited);
  }
  if (memory.expires_at) {
    const expires = timeElement(memory.expires_at);
    expires.dataset.testid = 'memory-expires';
    dates.append(' · forgotten on ', expires);
  }
  text.append(content, dates);

  const edit = document.createElement('button');
  edit.type = 'button';
  edit.className = 'button subtle';
  edit.dataset.testid = 'edit-memory';
  edit.setAttribute('aria-label', `Edit memory: ${excerpt(memory.content)}`);
  edit.textContent = 'Edit';
  edit.addEventListener('click', () => editMemory(item, memory));

  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'button subtle danger';
  remove.dataset.testid = 'delete-memory';
  remove.setAttribute('aria-label', `Delete memory: ${excerpt(memory.content)}`);
  remove.append(spinner(), label('Delete'));
  remove.addEventListener('click', () => void deleteMemory(item, memory, remove));

  const actions = document.createElement('div');
  actions.className = 'memory-actions';
  actions.append(edit, remove);
  item.classList.remove('is-editing');
  item.replaceChildren(text, actions);
  return edit;
}

/** Turns the memory's text into a field: Enter (or Save) saves, Shift+Enter starts a new line, Escape (or Cancel) cancels. */
function editMemory(item, memory) {
  const form = document.createElement('form');
  form.className = 'memory-editor';
  form.dataset.testid = 'memory-editor';
  form.noValidate = true;
  const fieldId = `memory-field-${memory.id}`;
  const errorId = `memory-error-${memory.id}`;
  const fieldLabel = document.createElement('label');
  fieldLabel.className = 'visually-hidden';
  fieldLabel.htmlFor = fieldId;
  fieldLabel.textContent = 'Memory text';
  const field = document.createElement('textarea');
  field.id = fieldId;
  field.dataset.testid = 'memory-field';
  field.value = memory.content;
  field.rows = Math.min(6, Math.max(2, Math.ceil(memory.content.length / 70)));
  field.setAttribute('aria-describedby', `${errorId} ${fieldId}-hint`);
  const error = document.createElement('p');
  error.id = errorId;
  error.className = 'error-text';
  error.dataset.testid = 'memory-error';
  error.setAttribute('role', 'alert');
  const hint = document.createElement('p');
  hint.id = `${fieldId}-hint`;
  hint.className = 'memory-hint muted';
  hint.textContent = 'Enter saves, Shift+Enter starts a new line, Escape cancels.';

  const save = document.createElement('button');
  save.type = 'submit';
  save.className = 'button subtle primary';
  save.dataset.testid = 'save-memory';
  save.append(spinner(), label('Save'));
  const cancel = document.createElement('button');
  cancel.type = 'button';
  cancel.className = 'button subtle';
  cancel.dataset.testid = 'cancel-edit';
  cancel.textContent = 'Cancel';
  const actions = document.createElement('div');
  actions.className = 'memory-actions';
  actions.append(save, cancel);

  const editor = { item, memory, field, error, save, cancel };
  const stopEditing = () => showMemory(item, memory).focus();
  cancel.addEventListener('click', stopEditing);
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !save.disabled) {
      event.preventDefault();
      stopEditing();
    } else if (event.key === 'Enter' && event.target === field && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!save.disabled) void saveMemory(editor, stopEditing);
  });

  form.append(fieldLabel, field, error, hint, actions);
  item.classList.add('is-editing');
  item.replaceChildren(form);
  field.focus();
  field.setSelectionRange(field.value.length, field.value.length);
}

async function saveMemory({ item, memory, field, error, save, cancel }, stopEditing) {
  const content = field.value.trim();
  if (content === memory.content) {
    stopEditing();
    return;
  }
  const showError = (message) => {
    error.textContent = message;
    field.setAttribute('aria-invalid', message ? 'true' : 'false');
  };
  if (!content) {
    showError('A memory cannot be empty. To forget it, cancel and delete it.');
    field.focus();
    return;
  }
  const session = state.session;
  showError('');
  setBusy(save, true, 'Saving…');
  field.readOnly = true;
  cancel.disabled = true;
  let result;
  try {
    result = await api.updateMemory(memory.id, { content });
  } catch (failure) {
    if (session !== state.session) return;
    setBusy(save, false, 'Save');
    field.readOnly = false;
    cancel.disabled = false;
    if (failure instanceof ApiError && failure.status === 404) {
      removeMemoryItem(item);
      setMessage(ui.memoriesStatus, 'That memory had been deleted, so it could not be changed.', 'info');
      return;
    }
    if (failure instanceof ApiError && failure.code === 'duplicate') showError('You already have a memory with this text.');
    else if (failure instanceof ApiError && failure.status === 400) showError(capitalized(failure.message));
    else if (!handleCommonError(failure)) showError(`The memory could not be saved: ${messageOf(failure)}`);
    field.focus();
    return;
  }
  if (session !== state.session) return;
  showMemory(item, result.memory).focus();
  setMessage(ui.memoriesStatus, 'Memory updated.', 'info');
  if (result.narrative_regenerating) {
    startWait(session, { above: state.shown?.version ?? null, message: REWRITING_CORRECTED, regenerating: Boolean(state.wait?.regenerating) });
  }
}

async function deleteMemory(item, memory, button) {
  const session = state.session;
  setBusy(button, true, 'Deleting…');
  item.classList.add('is-pending');
  try {
    const result = await api.deleteMemory(memory.id);
    if (session !== state.session) return;
    removeMemoryItem(item);
    setMessage(ui.memoriesStatus, 'Memory deleted.', 'info');
    if (result?.narrative_regenerating) {
      startWait(session, { above: state.shown?.version ?? null, message: REWRITING, regenerating: Boolean(state.wait?.regenerating) });
    }
  } catch (error) {
    if (session !== state.session) return;
    if (error instanceof ApiError && error.status === 404) {
      removeMemoryItem(item);
      setMessage(ui.memoriesStatus, 'That memory had already been deleted.', 'info');
      return;
    }
    setBusy(button, false, 'Delete');
    item.classList.remove('is-pending');
    if (!handleCommonError(error)) setMessage(ui.memoriesStatus, `The memory could not be deleted: ${messageOf(error)}`, 'error');
  }
}

/** Removes a memory from the list, keeping keyboard focus on a neighbour. */
function removeMemoryItem(item) {
  const neighbour = item.nextElementSibling ?? item.previousElementSibling;
  const hadFocus = item.contains(document.activeElement);
  item.remove();
  if (hadFocus) /** @type {HTMLElement | null} */ (neighbour?.querySelector('button') ?? ui.memoriesTitle)?.focus();
  if (state.memoryCount !== null) state.memoryCount = Math.max(0, state.memoryCount - 1);
  if (state.listTotal !== null) state.listTotal = Math.max(0, state.listTotal - 1);
  showMemoryCount();
  showShown();
  const filtered = Boolean(state.view.query || state.view.days.from || state.view.days.to);
  ui.memoriesEmpty.hidden = ui.memoryList.children.length > 0 || !ui.loadMore.hidden || filtered;
}

function showMemoryCount() {
  const count = state.memoryCount;
  ui.memoryCount.textContent = count === null ? '' : countText(count);
}

// ── Small helpers ───────────────────────────────────────────────────────────────────────────

function setStatus(text, tone) {
  setMessage(ui.narrativeStatus, text, tone);
}

/** Sets a live region's text; its tone (pending, info, warning, error) only changes its look. */
function setMessage(element, text, tone) {
  if (element.textContent !== text) element.textContent = text;
  element.dataset.tone = tone;
}

/** A button's loading state: disabled, aria-busy, a spinner and a label saying what it does. */
function setBusy(button, busy, text) {
  button.disabled = busy;
  button.toggleAttribute('aria-busy', busy);
  button.classList.toggle('is-busy', busy);
  const labelElement = button.querySelector('.label');
  if (labelElement) labelElement.textContent = text;
  else button.textContent = text;
}

function formatDateTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : dateTimeFormat.format(date);
}

function formatTime(date) {
  return date.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

function formatIn(seconds) {
  if (seconds < 90) return relativeFormat.format(seconds, 'second');
  if (seconds < 90 * 60) return relativeFormat.format(Math.round(seconds / 60), 'minute');
  return relativeFormat.format(Math.round(seconds / 3600), 'hour');
}

function timeElement(iso) {
  const element = document.createElement('time');
  element.dateTime = iso;
  element.textContent = formatDateTime(iso);
  return element;
}

function capitalized(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

function excerpt(text) {
  const flat = String(text).replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}…` : flat;
}

function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

function strong(text) {
  const element = document.createElement('strong');
  element.textContent = text;
  return element;
}

function label(text) {
  const element = document.createElement('span');
  element.className = 'label';
  element.textContent = text;
  return element;
}

function spinner() {
  const element = document.createElement('span');
  element.className = 'spinner';
  element.setAttribute('aria-hidden', 'true');
  return element;
}

function visuallyHidden(text) {
  const element = document.createElement('span');
  element.className = 'visually-hidden';
  element.textContent = text;
  return element;
}

function boundedInteger(text, fallback, min, max) {
  const value = Number.parseInt(text ?? '', 10);
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element;
}
