import type { BenchDatabase } from './bench-database.js';
import { LOCOMO_MEMORIES } from '../../test/support/locomo.js';
import { loadLocomo, type LocomoData } from './locomo-data.js';
import { runCli } from './run-cli.js';

/** A bench database holding the LoCoMo users, each with a fresh narrative, so their conversation starts are cache hits. */
export interface LocomoFixture {
  data: LocomoData;
  /** The user single-client figures are measured for: the one with the most memories. */
  hitUser: string;
  /** A bearer key of the user (created with `narrative-mcp keys create` the first time it is asked for). */
  keyFor(user: string): Promise<string>;
}

/** Imports the LoCoMo memories and backfills their narratives (offline provider) with the CLI, as an operator would. */
export async function prepareLocomoFixture(database: BenchDatabase, log: (line: string) => void): Promise<LocomoFixture> {
  const data = await loadLocomo();
  log(`narrative-mcp import ${LOCOMO_MEMORIES}: ${(await runCli(['import', LOCOMO_MEMORIES], database.env)).trim()}`);
  log(`narrative-mcp backfill: ${(await runCli(['backfill'], database.env)).trim().split('\n').at(-1)}`);
  const hitUser = [...data.users].sort((a, b) => data.memoriesOf(b).length - data.memoriesOf(a).length)[0]!;
  const keys = new Map<string, Promise<string>>();
  let previous: Promise<unknown> = Promise.resolve();
  return {
    data,
    hitUser,
    keyFor: (user) => {
      let key = keys.get(user);
      if (!key) {
        // One CLI process at a time: the embedded database admits a single process.
        key = previous.then(async () => (await runCli(['keys', 'create', '--user', user, '--name', 'bench'], database.env)).trim().split('\n').at(-1)!);
        previous = key.catch(() => undefined);
        keys.set(user, key);
      }
      return key;
    },
  };
}
