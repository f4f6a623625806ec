import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/start-http-server.js';
import { LlmError } from '../../src/llm/llm-error.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { describeInChromium, launchChromium } from '../support/headless-chromium.js';
import { openTestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/dashboard/', import.meta.url));

const GENERATING = 'Your narrative is being generated and will appear here when ready';
const FACTS = [
  'Maya teaches physics at a secondary school in Porto.',
  'Maya has a sister called Inês who is a marine biologist.',
  'Maya is learning to restore old wooden sailboats.',
  'Maya adopted a greyhound called Pixel last spring.',
  'Maya wants to sail along the coast of Galicia next summer.',
  'Maya sings in a choir that rehearses on Thursday evenings.',
  'Maya pinned a note on the fridge: <b>never</b> skip breakfast <img src=x onerror="window.injected=1">',
];
const DELETED_FACT = 'Maya adopted a greyhound called Pixel last spring.';

/**
 * One visit to the dashboard in a real headless Chromium, step by step: each `it` continues
 * where the previous one left the page. The LLM is a ControlledProvider, so "being generated"
 * lasts exactly until the test releases it; the page polls every 100 ms at first (`?poll=100`)
 * and shows 4 memories a page (`?page_size=4`).
 */
describeInChromium('the dashboard in a headless browser', () => {
  const provider = new ControlledProvider();
  const pageErrors: Error[] = [];
  let app: App;
  let server: RunningHttpServer;
  let browser: Browser;
  let page: Page;
  let key: string;
  let keyId: string;

  async function screenshot(name: string): Promise<void> {
    await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true, animations: 'disabled' });
  }

  /** Waits until the element with this test id shows the text (a string is matched as a substring). */
  async function shows(testId: string, text: string | RegExp): Promise<void> {
    await page.getByTestId(testId).filter({ hasText: text }).waitFor();
  }

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    app = await openTestApp('pglite', { REGENERATE_PER_HOUR: '2', HTTP_RATE_LIMIT_PER_MINUTE: '100000' }, { provider });
    const user = await app.repositories.users.getOrCreate('maya', 'Maya');
    await app.engine.memories.add(
      user.id,
      FACTS.map((content, day) => ({ content, created_at: new Date(Date.UTC(2025, 2, 1 + day, 9, 30)) })),
      'test',
    );
    const created = await app.repositories.apiKeys.create(user.id, 'dashboard test');
    key = created.key;
    keyId = created.row.id;
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error));
  });

  afterAll(async () => {
    provider.release();
    await browser?.close();
    await server?.close();
    await app?.close({ graceMs: 1_000 });
  });

  it('asks for a key, then says the narrative is being generated while it is', async () => {
    provider.hold();
    await page.goto(`${server.url}/?poll=100&page_size=4`);
    await page.getByTestId('key-form').waitFor();
    await expect(page.getByLabel('API key').isVisible()).resolves.toBe(true);
    await screenshot('01-key-form');

    await page.getByLabel('API key').fill(key);
    await page.getByTestId('key-submit').click();
    await shows('narrative-status', GENERATING);
    expect(await page.getByTestId('narrative-status').textContent()).toBe(GENERATING);
    expect(await page.getByTestId('narrative-body').isHidden()).toBe(true);
    await until(() => provider.waiting === 1);
    await screenshot('02-generating');
  });

  it('shows the narrative once it is written, with its version and date, and pages through the memories', async () => {
    provider.release();
    await shows('narrative-version', /^1$/);
    await page.getByTestId('narrative-body').filter({ hasText: 'Narrative of maya' }).waitFor();
    expect(await page.getByTestId('narrative-status').textContent()).toBe('');
    expect(await page.getByTestId('narrative-date').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await page.getByTestId('stale-badge').isHidden()).toBe(true);
    // The narrative's "- memory" lines are a list, in text: never markup from the data.
    expect(await page.getByTestId('narrative-body').locator('li').count()).toBe(FACTS.length);
    expect(await page.getByTestId('narrative-body').locator('b, img').count()).toBe(0);
    expect(await page.getByTestId('narrative-body').textContent()).toContain('<b>never</b> skip breakfast <img');

    await shows('memory-count', '7 memories');
    expect(await page.getByTestId('memory').count()).toBe(4);
    await page.getByTestId('load-more').click();
    await until(async () => (await page.getByTestId('memory').count()) === 7);
    expect(await page.getByTestId('load-more').isHidden()).toBe(true);
    expect(await page.getByTestId('memory-content').allTextContents()).toEqual([...FACTS].reverse());
    await screenshot('03-narrative-v1');
  });

  it('regenerates on demand, showing a loading state until the new version arrives', async () => {
    provider.hold();
    const regenerate = page.getByTestId('regenerate');
    await regenerate.click();
    await shows('narrative-status', 'Writing a new version');
    expect(await regenerate.isDisabled()).toBe(true);
    expect(await regenerate.getAttribute('aria-busy')).not.toBeNull();
    await until(() => provider.waiting === 1);
    await screenshot('04-regenerating');

    provider.release();
    await shows('narrative-version', /^2$/);
    await until(async () => (await page.getByTestId('narrative-status').textContent()) === '');
    expect(await regenerate.isEnabled()).toBe(true);
    expect((await regenerate.textContent())?.trim()).toBe('Regenerate');
    await screenshot('05-narrative-v2');
  });

  it('removes a deleted memory from the list and shows the narrative rewritten without it', async () => {
    provider.hold();
    // Hold the DELETE request itself, to see the button disabled while it is pending.
    let letDeleteThrough = () => {};
    const deleteHeld = new Promise<void>((resolve) => (letDeleteThrough = resolve));
    await page.route('**/api/v1/memories/*', async (route) => {
      if (route.request().method() === 'DELETE') await deleteHeld;
      await route.continue();
    });

    const item = page.getByTestId('memory').filter({ hasText: DELETED_FACT });
    const button = item.getByTestId('delete-memory');
    await button.click();
    await until(() => button.isDisabled());
    expect(await button.textContent()).toBe('Deleting…');
    await screenshot('06-deleting');

    letDeleteThrough();
    await item.waitFor({ state: 'detached' });
    await shows('narrative-status', 'being rewritten without the deleted memory');
    await shows('memory-count', '6 memories');
    await until(() => provider.waiting === 1);
    // Meanwhile the old version is served marked stale, since it was built from the deleted memory.
    await page.getByTestId('stale-badge').waitFor();
    expect(await page.getByTestId('stale-badge').getAttribute('title')).toContain('a memory it was written from has been deleted');
    await screenshot('07-rewriting');

    provider.release();
    await shows('narrative-version', /^3$/);
    expect(await page.getByTestId('stale-badge').isHidden()).toBe(true);
    const narrative = await page.getByTestId('narrative-body').textContent();
    expect(narrative).not.toContain('greyhound');
    expect(narrative).toContain('sailboats');
    expect(await page.getByTestId('memory-content').allTextContents()).not.toContain(DELETED_FACT);
    await page.unroute('**/api/v1/memories/*');
    await screenshot('08-narrative-v3');
  });

  it('shows a background failure and keeps the last good narrative', async () => {
    provider.failNext('narrative', new LlmError('blocked', 'The model declined to answer.'));
    await page.getByTestId('regenerate').click();
    await shows('narrative-status', 'The new version could not be written');
    await shows('last-failure', 'The model declined to answer.');
    expect(await page.getByTestId('narrative-version').textContent()).toBe('3');
    expect(await page.getByTestId('regenerate').isEnabled()).toBe(true);
    await screenshot('09-failure');
  });

  it('says when regeneration may be asked for again once the hourly limit is reached', async () => {
    await page.getByTestId('regenerate').click();
    await shows('regenerate-message', /You can regenerate again at .+ \(in \d+ minutes\)/);
    await screenshot('10-rate-limited');
  });

  it('says when the server cannot be reached, and recovers on retry', async () => {
    const port = Number(new URL(server.url).port);
    await server.close();
    await page.getByTestId('regenerate').click();
    await page.getByTestId('connection-error').waitFor();
    expect(await page.getByTestId('connection-error').textContent()).toContain('Cannot reach the server');
    expect(await page.getByTestId('narrative-version').textContent()).toBe('3');
    await screenshot('11-server-down');

    server = await startHttpServer(app, { host: '127.0.0.1', port });
    await page.getByTestId('retry').click();
    await page.getByTestId('connection-error').waitFor({ state: 'hidden' });
    await shows('memory-count', '6 memories');
  });

  it('refuses a bad key on the key form, and returns there when the key is revoked', async () => {
    await page.getByTestId('sign-out').click();
    await page.getByTestId('key-form').waitFor();
    expect(await page.evaluate<number>('sessionStorage.length')).toBe(0);
    await page.getByLabel('API key').fill('nmcp_not-a-key-this-server-made');
    await page.getByTestId('key-submit').click();
    await shows('key-error', 'That key was not accepted');
    expect(await page.getByTestId('dashboard').isHidden()).toBe(true);
    await screenshot('12-bad-key');

    await page.getByLabel('API key').fill(key);
    await page.getByTestId('key-submit').click();
    await shows('narrative-version', /^3$/);
    expect(await app.repositories.apiKeys.revoke(keyId)).toBe(1);
    await page.getByTestId('regenerate').click();
    await shows('key-error', 'no longer accepted');
    expect(await page.getByTestId('dashboard').isHidden()).toBe(true);
    await screenshot('13-revoked-key');
  });

  it('renders headings, paragraphs, lists and bold text of a narrative, and nothing else as markup', async () => {
    // Page code as strings: vitest would rewrite a function's dynamic import for Node (and the
    // project's types have no DOM).
    const narrative = 'Intro line one\nand two.\n\n## Work and projects\nShe **teaches** physics.\n\n- first\n- <script>x()</script>\n\n### Goals ##\nSail.';
    const rendered = await page.evaluate<string>(`(async () => {
      const { renderNarrative } = await import('/render-narrative.js');
      const container = document.createElement('div');
      container.append(renderNarrative(${JSON.stringify(narrative)}));
      return container.innerHTML;
    })()`);
    expect(rendered).toBe(
      '<p>Intro line one and two.</p><h3>Work and projects</h3><p>She <strong>teaches</strong> physics.</p>' +
        '<ul><li>first</li><li>&lt;script&gt;x()&lt;/script&gt;</li></ul><h4>Goals</h4><p>Sail.</p>',
    );
  });

  it('ran without a script error, and no memory ran as markup', async () => {
    expect(pageErrors).toEqual([]);
    expect(await page.evaluate<unknown>('window.injected')).toBeUndefined();
  });
});
