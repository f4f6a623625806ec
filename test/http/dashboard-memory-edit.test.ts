import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/start-http-server.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { describeInChromium, launchChromium } from '../support/headless-chromium.js';
import { openTestApp } from '../support/test-app.js';
import { until } from '../support/until.js';

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/dashboard-memory-edit/', import.meta.url));

const FACTS = [
  'Ilse builds harpsichords in a workshop in Ghent.',
  'Ilse has a twin brother called Joris who is a nurse.',
  'Ilse swims in the canal every Sunday.',
  'Ilse is learning to play the viola da gamba.',
  'Ilse wants to cycle from Ghent to Rome.',
];
const OLD_TEXT = 'Ilse swims in the canal every Sunday.';
const NEW_TEXT = 'Ilse swims in the North Sea every Sunday morning.';

/**
 * Correcting a memory from the dashboard in a real headless Chromium, with the keyboard alone,
 * step by step: each `it` continues where the previous one left the page. The LLM is a
 * ControlledProvider, so the rewritten narrative arrives exactly when the test releases it.
 */
describeInChromium('editing a memory on the dashboard in a headless browser', () => {
  const provider = new ControlledProvider();
  const pageErrors: Error[] = [];
  let app: App;
  let server: RunningHttpServer;
  let browser: Browser;
  let page: Page;
  let userId: string;

  async function screenshot(name: string): Promise<void> {
    await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true, animations: 'disabled' });
  }

  async function shows(testId: string, text: string | RegExp): Promise<void> {
    await page.getByTestId(testId).filter({ hasText: text }).waitFor();
  }

  /** The list item of the memory that shows this text, found by its id: while it is edited its text is a field's value. */
  async function memoryWith(text: string): Promise<{ id: string; item: Locator }> {
    const id = (await page.getByTestId('memory').filter({ hasText: text }).getAttribute('data-memory-id'))!;
    return { id, item: page.locator(`[data-testid="memory"][data-memory-id="${id}"]`) };
  }

  async function focusedTestId(): Promise<string | undefined> {
    return page.evaluate<string | undefined>('document.activeElement?.dataset.testid');
  }

  /** The text the database holds for the memory with this id. */
  async function stored(id: string): Promise<string> {
    return (await app.repositories.memories.findByIds(userId, [id]))[0]!.content;
  }

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    app = await openTestApp('pglite', { HTTP_RATE_LIMIT_PER_MINUTE: '100000' }, { provider });
    userId = (await app.repositories.users.getOrCreate('ilse', 'Ilse')).id;
    await app.engine.memories.add(
      userId,
      FACTS.map((content, day) => ({ content, created_at: new Date(Date.UTC(2025, 4, 1 + day, 8)) })),
      'test',
    );
    await app.engine.runner.request(userId, 'manual').done;
    const { key } = await app.repositories.apiKeys.create(userId, 'edit test');
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${server.url}/?poll=100`);
    await page.getByLabel('API key').fill(key);
    await page.getByTestId('key-submit').click();
    await shows('narrative-version', /^1$/);
    await shows('memory-count', '5 memories');
  });

  afterAll(async () => {
    provider.release();
    await browser?.close();
    await server?.close();
    await app?.close({ graceMs: 1_000 });
  });

  it('opens an editor from the keyboard and leaves it with Escape, changing nothing', async () => {
    const { item } = await memoryWith(OLD_TEXT);
    await item.getByRole('button', { name: `Edit memory: ${OLD_TEXT}` }).focus();
    await page.keyboard.press('Enter');
    await item.getByTestId('memory-editor').waitFor();
    expect(await focusedTestId()).toBe('memory-field');
    expect(await item.getByLabel('Memory text').inputValue()).toBe(OLD_TEXT);
    await screenshot('01-editing');

    await page.keyboard.press('Escape');
    await item.getByTestId('memory-editor').waitFor({ state: 'detached' });
    expect(await item.getByTestId('memory-content').textContent()).toBe(OLD_TEXT);
    expect(await focusedTestId()).toBe('edit-memory');
    expect(await item.getByTestId('memory-edited').count()).toBe(0);
  });

  it('saves with Enter, shows the new text at once, and the narrative as stale until it is rewritten', async () => {
    const { id, item: edited } = await memoryWith(OLD_TEXT);
    provider.hold();
    await page.keyboard.press('Enter');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(NEW_TEXT);
    await page.keyboard.press('Enter');

    await edited.getByTestId('memory-content').filter({ hasText: NEW_TEXT }).waitFor();
    await edited.getByTestId('memory-edited').waitFor();
    expect(await focusedTestId()).toBe('edit-memory');
    await shows('memories-status', 'Memory updated.');
    expect(await stored(id)).toBe(NEW_TEXT);

    await shows('narrative-status', 'being rewritten with the corrected memory');
    await page.getByTestId('stale-badge').waitFor();
    expect(await page.getByTestId('stale-badge').getAttribute('title')).toContain('a memory it was written from has been corrected');
    expect(await page.getByTestId('narrative-version').textContent()).toBe('1');
    await until(() => provider.waiting === 1);
    await screenshot('02-saved-narrative-stale');

    provider.release();
    await shows('narrative-version', /^2$/);
    expect(await page.getByTestId('stale-badge').isHidden()).toBe(true);
    const narrative = await page.getByTestId('narrative-body').textContent();
    expect(narrative).toContain(NEW_TEXT);
    expect(narrative).not.toContain(OLD_TEXT);
    await screenshot('03-narrative-rewritten');
  });

  it('shows what changed in the rewritten version: the correction counted and shown, the old text not kept', async () => {
    const toggle = page.getByTestId('changes-toggle');
    await toggle.focus();
    await page.keyboard.press('Enter');
    await shows('changes-body', 'Since version 1');
    await shows('changes-body', '0 memories added, 1 corrected, 0 deleted, 0 expired');
    expect(await page.getByTestId('changes-updated').textContent()).toBe(NEW_TEXT);
    await page.getByTestId('changes-text-dropped').waitFor();
    expect(await page.getByTestId('changes').textContent()).not.toContain(OLD_TEXT);
    await screenshot('04-what-changed-after-a-correction');
  });

  it('marks the words a regenerated version adds after a memory was added', async () => {
    const added = 'Ilse restored a clavichord for the Bruges museum.';
    await app.engine.memories.add(userId, [{ content: added }], 'test');
    await page.getByTestId('regenerate').focus();
    await page.keyboard.press('Enter');
    await shows('narrative-version', /^3$/);
    await shows('changes-body', 'Since version 2');
    await shows('changes-body', '1 memory added, 0 corrected, 0 deleted, 0 expired');
    expect(await page.getByTestId('changes-added').textContent()).toBe(added);
    const inserted = await page.getByTestId('changes-text').locator('ins').allTextContents();
    expect(inserted.join('')).toContain('clavichord for the Bruges museum');
    expect(await page.getByTestId('changes-text').locator('del').count()).toBe(0);
    await page.setViewportSize({ width: 360, height: 800 });
    await screenshot('05-what-changed-narrow');
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it('keeps the editor open with the reason when the text is refused, and writes nothing', async () => {
    const { id, item } = await memoryWith(FACTS[3]!);
    await item.getByTestId('edit-memory').click();
    const field = item.getByLabel('Memory text');
    await field.fill(FACTS[0]!.toUpperCase());
    await field.press('Enter');
    await item.getByTestId('memory-error').filter({ hasText: 'You already have a memory with this text.' }).waitFor();
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    expect(await focusedTestId()).toBe('memory-field');
    await screenshot('06-duplicate-refused');

    await field.fill('   ');
    await field.press('Enter');
    await item.getByTestId('memory-error').filter({ hasText: 'A memory cannot be empty' }).waitFor();
    expect(await stored(id)).toBe(FACTS[3]);

    await item.getByTestId('cancel-edit').click();
    await item.getByTestId('memory-editor').waitFor({ state: 'detached' });
    expect(await item.getByTestId('memory-content').textContent()).toBe(FACTS[3]);
  });

  it('takes a memory deleted elsewhere out of the list when its correction is saved', async () => {
    const { id, item } = await memoryWith(FACTS[4]!);
    await item.getByTestId('edit-memory').click();
    await app.engine.memories.delete(userId, [id]);
    await item.getByLabel('Memory text').fill('Ilse wants to cycle from Ghent to Lisbon.');
    await item.getByLabel('Memory text').press('Enter');
    await item.waitFor({ state: 'detached' });
    await shows('memories-status', 'That memory had been deleted');
  });

  it('ran without a script error', () => {
    expect(pageErrors).toEqual([]);
  });
});
