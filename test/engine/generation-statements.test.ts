import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type App } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createPglite } from '../../src/db/create-pglite.js';
import { pgliteHandle } from '../../src/db/open-database.js';
import { migratedPgliteSnapshot } from '../support/test-databases.js';

const FACTS = Array.from({ length: 30 }, (_, n) => ({ content: `Robin's fact number ${n}: a hobby picked up in year ${2000 + n}` }));

/**
 * What one generation costs the database, statement by statement: the backfill's speed is bound
 * by it. Counted on PGlite, whose every statement goes through one `query`.
 */
describe('the statements of one generation', () => {
  let app: App;
  const statements: string[] = [];
  let recording = false;

  beforeAll(async () => {
    const pglite = await createPglite(undefined, { loadDataDir: await migratedPgliteSnapshot() });
    const query = pglite.query.bind(pglite);
    pglite.query = (async (sql: string, parameters?: unknown[]) => {
      if (recording) statements.push(sql.replace(/\s+/g, ' '));
      return query(sql, parameters);
    }) as typeof pglite.query;
    const database = pgliteHandle(pglite, 'memory://');
    app = await openApp(loadConfig({}), pino({ level: 'silent' }), { database, migrate: false, holdUsers: false });
  });
  afterAll(() => app.close({ graceMs: 0 }));

  it('takes the lease and reads the user, their narrative, statistics and memories in one statement, and stores the result in a transaction of two', async () => {
    const user = await app.repositories.users.getOrCreate('robin');
    await app.engine.memories.add(user.id, FACTS, 'test');
    recording = true;
    await app.engine.runner.request(user.id, 'scheduled').done;
    recording = false;
    expect((await app.repositories.narratives.get(user.id))?.version).toBe(1);
    const described = statements.map((statement) => {
      const verb = /^\w+/.exec(statement)![0];
      const named = new Set([...statement.matchAll(/(?:^with|,) "?(\w+)"? as \(/g)].map((match) => match[1]));
      const tables = new Set([...statement.matchAll(/(?:from|into|update|join(?: lateral)?) (?!set\b|lateral\b|\()"?(\w+)"?/g)].map((match) => match[1]).filter((name) => !named.has(name)));
      return [verb, ...tables].join(' ');
    });
    expect(described).toEqual([
      // the lease, with the attempt's time; the user, the statistics of their memories, their narrative and their memories
      'with narrative_generation_state users memories user_narratives',
      'begin',
      // the fence: success, and the lease given up, while it is ours; the user's row in share mode
      'with narrative_generation_state users',
      // the narrative, with the count of memories added since; any of its memories forgotten or corrected meanwhile
      'with user_narratives memories',
      'select', // PGlite's probe of the transaction before COMMIT
      'commit',
    ]);
  });
});
