import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { describe, it } from 'vitest';

/** Debian's Chromium, or the browser `CHROMIUM_PATH` names. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Why browser tests cannot run here, or null when they can. */
export function chromiumMissing(path = CHROMIUM_PATH): string | null {
  return existsSync(path)
    ? null
    : `no Chromium at ${path}: install it with \`sudo apt-get install chromium\` (Debian/Ubuntu) or set CHROMIUM_PATH`;
}

/**
 * A suite that drives a real headless Chromium. Without the browser it is one skipped line naming
 * the install command, except under `CI=true`, where a missing browser fails the suite: CI must
 * never pass by skipping what it is there to check.
 */
export function describeInChromium(name: string, body: () => void): void {
  const missing = chromiumMissing();
  if (missing === null) {
    describe(name, body);
  } else if (process.env.CI === 'true') {
    describe(name, () => {
      it('has a browser to run in', () => {
        throw new Error(`${missing} (CI=true: browser tests may not be skipped)`);
      });
    });
  } else {
    console.warn(`skipped "${name}": ${missing}`);
    it.skip(`${name} — skipped: ${missing}`, () => {});
  }
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
