import type { App } from '../../src/app/app.js';
import { withTimeout } from './with-timeout.js';

const CLOSE_TIMEOUT_MS = 30_000;

/** Closes an in-process app at once (running narrative jobs are abandoned), failing loudly if closing hangs. */
export function closeBenchApp(app: App): Promise<void> {
  return withTimeout(app.close({ graceMs: 0 }), CLOSE_TIMEOUT_MS, `closing the in-process app (${app.database.kind})`);
}
