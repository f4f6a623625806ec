import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { startHttpServer, type RunningHttpServer } from '../../src/http/start-http-server.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { describeInChromium, launchChromium } from '../support/headless-chromium.js';
import { openTestApp } from '../support/test-app.js';

const SCREENSHOTS = fileURLToPath(new URL('../../test-output/dashboard-memories/', import.meta.url));
const MAX_CHARS = 200;

/** Mara's memories, oldest first; the page runs in New York (UTC-4 in May), so some fall on another day there than in UTC. */
const FACTS: Array<[string, string]> = [
  ['2025-05-01T14:00:00Z', 'Mara restores old sailing boats in Maine.'],
  ['2025-05-02T02:00:00Z', 'Mara takes her sailing dinghy out on Sundays.'], // 1 May, 22:00 in New York
  ['2025-05-02T15:00:00Z', 'Mara is learning Portuguese.'],
  ['2025-05-03T15:00:00Z', 'Mara has a dog called Biscuit.'],
  ['2025-05-04T15:00:00Z', 'Mara bakes sourdough bread every Friday.'],
  ['2025-05-05T03:00:00Z', 'Mara plans to sail to the Azores.'], // 4 May, 23:00 in New York
];
const BULK = 1_200;

/**
 * Adding, searching, filtering by date and paging through the memories on the dashboard, in a real
 * headless Chromium, with the keyboard; each `it` continues where the previous one left the page.
 */
describeInChromium('managing memories on the dashboard in a headless browser', () => {
  const pageErrors: Error[] = [];
  let app: App;
  let server: RunningHttpServer;
  let browser: Browser;
  let page: Page;
  let userId: string;

  /** The whole page while it is short; the screen only once a thousand memories are listed. */
  async function screenshot(name: string, fullPage = true): Promise<void> {
    await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage, animations: 'disabled' });
  }

  async function shows(testId: string, text: string | RegExp): Promise<void> {
    await page.getByTestId(testId).filter({ hasText: text }).waitFor();
  }

  function listedContents(): Promise<string[]> {
    return page.getByTestId('memory-content').allTextContents();
  }

  function listedIds(): Promise<string[]> {
    return page.evaluate<string[]>('[...document.querySelectorAll("[data-testid=memory]")].map((item) => item.dataset.memoryId)');
  }

  async function focused(): Promise<{ testId?: string; memoryId?: string }> {
    return page.evaluate<{ testId?: string; memoryId?: string }>(
      '({ testId: document.activeElement?.dataset.testid, memoryId: document.activeElement?.dataset.memoryId })',
    );
  }

  async function storedCount(): Promise<number> {
    return app.repositories.memories.count(userId);
  }

  async function fitsTheScreen(): Promise<void> {
    expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
  }

  /** Searches with Enter and waits for the results. */
  async function search(text: string): Promise<void> {
    await page.getByLabel('Search').fill(text);
    await page.getByLabel('Search').press('Enter');
    await shows('memories-shown', `“${text}”`);
  }

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    app = await openTestApp(
      'pglite',
      { HTTP_RATE_LIMIT_PER_MINUTE: '100000', MAX_MEMORY_CHARS: String(MAX_CHARS) },
      { provider: new ControlledProvider() },
    );
    userId = (await app.repositories.users.getOrCreate('mara', 'Mara')).id;
    await app.engine.memories.add(userId, FACTS.map(([at, content]) => ({ content, created_at: new Date(at) })), 'test');
    const { key } = await app.repositories.apiKeys.create(userId, 'memories test');
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 900 }, locale: 'en-GB', timezoneId: 'America/New_York' });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error));
    await page.goto(`${server.url}/?poll=100&page_size=100`);
    await page.getByLabel('API key').fill(key);
    await page.getByTestId('key-submit').click();
    await shows('memory-count', '6 memories');
    await shows('memories-shown', 'Showing 6 of 6');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await app?.close({ graceMs: 1_000 });
  });

  it('adds a memory with the keyboard: Enter adds, Shift+Enter starts a new line', async () => {
    await page.getByLabel('Add a memory').focus();
    await page.keyboard.type('Mara swims in the harbour');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('before work.');
    await page.keyboard.press('Enter');

    await shows('memories-status', 'Memory added.');
    const text = 'Mara swims in the harbour\nbefore work.';
    expect((await listedContents())[0]).toBe(text);
    await shows('memory-count', '7 memories');
    await shows('memories-shown', 'Showing 7 of 7');
    expect(await page.getByLabel('Add a memory').inputValue()).toBe('');
    expect((await focused()).testId).toBe('add-input');
    expect((await app.repositories.memories.recent(userId, { limit: 1 }))[0]!.content).toBe(text);
    await screenshot('01-added');
  });

  it('refuses an empty, a too long or a duplicate memory at the field, and writes nothing', async () => {
    const field = page.getByLabel('Add a memory');
    await field.press('Enter');
    await shows('add-error', 'a memory cannot be empty');
    expect(await field.getAttribute('aria-invalid')).toBe('true');

    await field.fill('x'.repeat(MAX_CHARS + 1));
    await field.press('Enter');
    await shows('add-error', `Content is longer than ${MAX_CHARS} characters.`);

    await field.fill(FACTS[3]![1].toUpperCase());
    await field.press('Enter');
    await shows('add-error', 'You already have a memory with this text.');
    expect((await focused()).testId).toBe('add-input');
    await screenshot('02-duplicate-refused');

    expect(await storedCount()).toBe(7);
    expect(await page.getByTestId('memory').count()).toBe(7);
    await shows('memory-count', '7 memories');

    await field.fill('');
    await field.press('Enter');
    await shows('add-error', 'a memory cannot be empty');
  });

  it('searches as one types, and Escape returns to the newest memories first', async () => {
    await page.getByLabel('Search').focus();
    await page.keyboard.type('sailing');
    await shows('memories-shown', '3 memories match “sailing”, best first');
    const found = await listedContents();
    expect(found).toHaveLength(3);
    expect(found.every((content) => /sail/.test(content))).toBe(true);
    await page.getByTestId('load-more').waitFor({ state: 'hidden' });
    await screenshot('03-searched');

    await page.keyboard.press('Escape');
    await shows('memories-shown', 'Showing 7 of 7');
    expect((await listedContents())[0]).toBe('Mara swims in the harbour\nbefore work.');
    expect(await page.getByLabel('Search').inputValue()).toBe('');
    expect((await focused()).testId).toBe('search-input');
  });

  it('searches with Enter, says when nothing matches, and the Clear button clears', async () => {
    await search('biscuit');
    expect(await listedContents()).toEqual([FACTS[3]![1]]);
    await shows('memories-status', '1 memory matches “biscuit”.');

    await page.getByLabel('Search').fill('volcano');
    await page.getByLabel('Search').press('Enter');
    await shows('memories-status', 'No memories match “volcano”.');
    expect(await page.getByTestId('memory').count()).toBe(0);
    expect(await page.getByTestId('memories-empty').isHidden()).toBe(true);

    await page.getByTestId('search-clear').focus();
    await page.keyboard.press('Enter');
    await shows('memories-shown', 'Showing 7 of 7');
    expect((await focused()).testId).toBe('search-input');
    expect(await page.getByTestId('search-clear').isHidden()).toBe(true);
  });

  it('filters the list and the search results by whole days in the browser’s time zone', async () => {
    await page.getByLabel('From', { exact: true }).fill('2025-05-01');
    await page.getByLabel('To', { exact: true }).fill('2025-05-01');
    await shows('memories-status', '2 memories created on 1 May 2025.');
    expect(await listedContents()).toEqual([FACTS[1]![1], FACTS[0]![1]]);
    await shows('memories-shown', 'Showing 2 of 2');
    await screenshot('04-one-day');

    await page.getByLabel('To', { exact: true }).fill('2025-05-04');
    await shows('memories-shown', 'Showing 6 of 6');
    await search('sail');
    expect((await listedContents()).sort()).toEqual([FACTS[0]![1], FACTS[1]![1], FACTS[5]![1]].sort());
    await page.getByLabel('To', { exact: true }).fill('2025-05-03');
    await shows('memories-shown', '2 memories created from 1 May 2025 to 3 May 2025 match “sail”');
    await page.getByLabel('Search').press('Escape');
    await shows('memories-shown', 'Showing 4 of 4');

    await page.getByLabel('From', { exact: true }).fill('2025-05-04');
    await shows('dates-error', '“From” is after “To”');
    expect(await page.getByLabel('From', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('memory').count()).toBe(4);
    await screenshot('05-dates-reversed');

    await page.getByTestId('dates-clear').focus();
    await page.keyboard.press('Enter');
    await shows('memories-shown', 'Showing 7 of 7');
    expect(await page.getByTestId('dates-error').textContent()).toBe('');
    expect((await focused()).testId).toBe('date-from');
  });

  it(`pages through ${BULK.toLocaleString('en')} more memories with the keyboard: counts right, none twice, none skipped`, async () => {
    const base = Date.UTC(2024, 0, 1);
    // Three at a time share a millisecond: the cursor must keep their order.
    const bulk = Array.from({ length: BULK }, (_, n) => ({ content: `Note ${n} about the harbour.`, created_at: new Date(base + Math.floor(n / 3) * 1000) }));
    for (let start = 0; start < BULK; start += 400) await app.engine.memories.add(userId, bulk.slice(start, start + 400), 'test');
    const total = FACTS.length + 1 + BULK;
    const expected = (await app.repositories.memories.recent(userId, { limit: total + 1 })).map((memory) => memory.id);
    expect(expected).toHaveLength(total);

    await page.reload();
    await shows('memories-shown', `Showing 100 of ${total.toLocaleString('en')}`);
    const loadMore = page.getByTestId('load-more');
    let pages = 1;
    while (await loadMore.isVisible()) {
      const before = await page.getByTestId('memory').count();
      await loadMore.focus();
      await page.keyboard.press('Enter');
      await page.getByTestId('memory').nth(before).waitFor();
      pages += 1;
      // Focus goes on to the first memory loaded.
      expect((await focused()).memoryId).toBe((await listedIds())[before]);
      if (pages === 4) {
        // Meanwhile, elsewhere: a memory shown and one not yet shown are deleted, and one is added.
        await app.engine.memories.delete(userId, [expected[50]!, expected[700]!]);
        await app.engine.memories.add(userId, [{ content: 'Mara bought a kayak.' }], 'test');
      }
      if (pages === 2) await shows('memories-status', `Loaded 100 more memories. Showing 200 of ${total.toLocaleString('en')}.`);
    }
    const shown = await listedIds();
    expect(new Set(shown).size).toBe(shown.length);
    expect(shown).toEqual(expected.filter((id) => id !== expected[700]));
    expect(pages).toBe(Math.ceil(total / 100));
    await shows('memories-shown', `Showing ${(total - 1).toLocaleString('en')} of ${(total - 1).toLocaleString('en')}`);
    await screenshot('06-paged-to-the-end', false);
  });

  it('fits a 360 px wide screen, and adding, searching and filtering work there too', async () => {
    await page.setViewportSize({ width: 360, height: 800 });
    await fitsTheScreen();
    await page.getByLabel('Add a memory').fill('Mara keeps her kayak at the boathouse, a long word: Donaudampfschifffahrtsgesellschaft.');
    await page.getByLabel('Add a memory').press('Enter');
    await shows('memories-status', 'Memory added.');
    await fitsTheScreen();
    await screenshot('07-narrow-added', false);

    await search('kayak');
    expect(await page.getByTestId('memory').count()).toBe(2);
    await fitsTheScreen();

    await page.getByLabel('From', { exact: true }).fill('2025-05-01');
    await page.getByLabel('To', { exact: true }).fill('2025-05-01');
    await shows('memories-status', 'No memories created on 1 May 2025 match “kayak”.');
    await page.getByLabel('Search').press('Escape');
    await shows('memories-shown', 'Showing 2 of 2');
    await fitsTheScreen();
    await screenshot('08-narrow-filtered', false);

    await page.getByTestId('dates-clear').click();
    await shows('memories-shown', /^Showing 100 of /);
    await fitsTheScreen();
  });

  it('adds a fact that is forgotten after a week, chosen with the keyboard, and says when', async () => {
    await page.setViewportSize({ width: 1100, height: 900 });
    const text = 'Mara is in Lisbon this week for a regatta.';
    await page.getByLabel('Add a memory').fill(text);
    await page.getByLabel('Forget it').focus();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    expect(await page.getByLabel('Forget it').inputValue()).toBe('7');
    await page.getByLabel('Add a memory').press('Enter');
    await shows('memories-status', 'Memory added.');

    const item = page.getByTestId('memory').filter({ hasText: text });
    const expires = await item.getByTestId('memory-expires').getAttribute('datetime');
    const [stored] = (await app.repositories.memories.recent(userId, { limit: 1 })).filter((memory) => memory.content === text);
    expect(stored!.expires_at!.toISOString()).toBe(expires);
    expect(stored!.expires_at!.getTime() - stored!.created_at.getTime()).toBe(7 * 86_400_000);
    expect(await page.getByLabel('Forget it').inputValue()).toBe('');
    await item.scrollIntoViewIfNeeded();
    await screenshot('09-forgotten-after-a-week', false);
  });

  it('ran without a script error', () => {
    expect(pageErrors).toEqual([]);
  });
});
