import type { App } from '../../src/app/app.js';
import type { GenerationOutcome } from '../../src/engine/narrative-generator.js';

/**
 * Resolves when the app's job runner finishes a narrative job for the user; listen before the
 * call that schedules it. Fails after `timeoutMs`, or when the job did not write a narrative.
 */
export function narrativeJobFinished(app: App, userId: string, timeoutMs: number): Promise<GenerationOutcome> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      app.engine.runner.off('finished', listener);
      reject(new Error(`bench: no narrative job finished for user ${userId} within ${timeoutMs} ms (runner: ${JSON.stringify(app.engine.runner.size)})`));
    }, timeoutMs);
    const listener = (finished: string, outcome: GenerationOutcome) => {
      if (finished !== userId) return;
      clearTimeout(timer);
      app.engine.runner.off('finished', listener);
      if (outcome.status === 'written') resolve(outcome);
      else reject(new Error(`bench: the narrative job for user ${userId} did not write a narrative: ${JSON.stringify(outcome)}`));
    };
    app.engine.runner.on('finished', listener);
  });
}
