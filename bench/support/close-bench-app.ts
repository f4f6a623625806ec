import type { App } from '../../src/app/app.js';
import { withTimeout } from './with-timeout.js';

const CLOSE_TIMEOUT_MS = 30_000;

/**
 * Closes an in-process app at once (running narrative jobs are abandoned). A close that hangs is
 * reported through `problem` and the app left behind, so the figures already taken are kept.
 */
export async function closeBenchApp(app: App, problem: (message: string) => void): Promise<void> {
  try {
    await withTimeout(app.close({ graceMs: 0 }), CLOSE_TIMEOUT_MS, `closing the in-process app (${app.database.kind})`);
  } catch (error) {
    problem(`${(error as Error).message}; runner ${JSON.stringify(app.engine.runner.size)}`);
  }
}
