import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open-database.js';
import { CLI_PATH, cliEnvironment, runCli } from '../support/cli.js';
import { runCliInProcess } from '../support/in-process-cli.js';
import { startFakeGemini, type FakeGemini } from '../support/fake-gemini-server.js';
import { LOCOMO_MEMORIES } from '../support/locomo.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const NARRATIVE_MODEL = 'gemini-2.5-pro';
/** A memory only Caroline has: the fake fails every narrative prompt that carries it. */
const CAROLINE_FACT = 'Caroline attended an LGBTQ support group recently and found the transgender stories inspiring.';

/** Each user's stored narrative version, read once the CLI has exited. */
async function storedVersions(env: Record<string, string>): Promise<number[]> {
  const handle = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.NARRATIVE_DATA_DIR ?? '', poolSize: 1 });
  try {
    const rows = await handle.db.selectFrom('user_narratives').select('version').execute();
    return rows.map((row) => row.version);
  } finally {
    await handle.close();
  }
}

/** The JSON log lines on stderr with this message. */
function logLines(stderr: string, msg: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
}

describe.each(DATABASES)('narrative-mcp backfill and refresh on %s', (kind) => {
  let fake: FakeGemini;

  beforeAll(async () => {
    fake = await startFakeGemini({ apiKey: 'test-key' });
  });
  afterAll(() => fake.close());

  async function locomoEnvironment(): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
    const created = await cliEnvironment(kind, { migrated: true });
    const env = { ...created.env, GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: fake.url, LLM_MAX_RETRIES: '1', LOG_LEVEL: 'info' };
    const imported = await runCliInProcess(['import', LOCOMO_MEMORIES], env);
    expect(imported.code).toBe(0);
    return { env, cleanup: created.cleanup };
  }

  const narrativeCalls = () => fake.requests.filter((request) => request.model === NARRATIVE_MODEL).length;

  describe('a run where Gemini fails for one user', () => {
    let env: Record<string, string>;
    let cleanup: () => Promise<void>;
    beforeAll(async () => ({ env, cleanup } = await locomoEnvironment()));
    afterAll(() => cleanup());

    it('lists on a dry run what it would do, and writes nothing', async () => {
      const before = fake.calls;
      const result = await runCliInProcess(['backfill', '--dry-run'], env);
      expect(result.code).toBe(0);
      const planned = result.stdout.split('\n').filter((line) => line.startsWith('would generate'));
      expect(planned).toHaveLength(14);
      expect(planned[0]).toBe('would generate  locomo-26-caroline  (102 memories; no_narrative)');
      expect(result.stdout).toContain('Dry run: 14 eligible; would generate 14, 0 skipped. Nothing was written.');
      expect(fake.calls).toBe(before);
      expect(await storedVersions(env)).toEqual([]);
    });

    it('completes the other 13, reports the failing user with the error, and exits 1', async () => {
      const stopFailing = fake.failWhen((request) => request.prompt.includes(CAROLINE_FACT), { status: 500 });
      const before = narrativeCalls();
      try {
        const result = await runCli(['backfill', '--concurrency', '3', '--batch-size', '4'], env);
        expect(result.code).toBe(1);
        expect(result.stdout).toMatch(/^Backfill finished in \d+\.\d s: 14 eligible, 13 generated, 0 skipped, 1 failed\.$/m);
        expect(result.stdout).toMatch(/^LLM tokens: \d{1,3}(,\d{3})* input, \d{1,3}(,\d{3})* output\.$/m);
        expect(result.stdout).toMatch(/^Failed users:\n {2}locomo-26-caroline {2}server_error {2}Gemini answered 500 INTERNAL: .*\(gave up after 2 attempts\)$/m);
        expect(logLines(result.stderr, 'backfill user failed')).toMatchObject([{ user: 'locomo-26-caroline', result: 'failed', reason: 'server_error' }]);
        expect(logLines(result.stderr, 'backfill user')).toHaveLength(13);
        expect(logLines(result.stderr, 'backfill finished')).toMatchObject([{ eligible: 14, generated: 13, skipped: 0, failed: 1 }]);
      } finally {
        stopFailing();
      }
      // Retried once per the provider policy (LLM_MAX_RETRIES=1), then given up.
      expect(fake.requests.filter((request) => request.prompt.includes(CAROLINE_FACT))).toHaveLength(2);
      expect(narrativeCalls() - before).toBe(15);
      expect(await storedVersions(env)).toEqual(new Array(13).fill(1));
    });

    it('generates only the failed user on a re-run once Gemini answers, and exits 0', async () => {
      const before = narrativeCalls();
      const result = await runCliInProcess(['backfill'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/: 14 eligible, 1 generated, 13 skipped \(13 fresh\), 0 failed\.$/m);
      expect(narrativeCalls() - before).toBe(1);
      expect(await storedVersions(env)).toEqual(new Array(14).fill(1));
    });

    it('regenerates every narrative with --force, each version raised by one', async () => {
      const result = await runCliInProcess(['backfill', '--force', '--concurrency', '4'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('14 eligible, 14 generated, 0 skipped, 0 failed');
      expect(await storedVersions(env)).toEqual(new Array(14).fill(2));
    });

    it('runs a refresh pass for cron, which finds nothing due among users active long ago', async () => {
      const result = await runCli(['refresh'], env);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Refresh pass finished in \d+\.\d s: 0 due, 0 refreshed, 0 skipped, 0 failed\.$/m);
    });

    it('refuses bad input with a message saying what is wrong', async () => {
      // Refused before the app opens, by the binary itself; the others once the app is open, in process.
      const beforeTheApp = runCli;
      const inTheApp = runCliInProcess;
      const cases: [string[], string, typeof runCli][] = [
        [['backfill', '--concurrency', '0'], "error: option '--concurrency <n>' argument '0' is invalid. expected a whole number of at least 1", beforeTheApp],
        [['backfill', '--concurrency', '65'], 'narrative-mcp: --concurrency must be at most 64; got 65', beforeTheApp],
        [['backfill', '--batch-size', 'ten'], "error: option '--batch-size <n>' argument 'ten' is invalid. expected a whole number of at least 1", beforeTheApp],
        [['backfill', '--min-memories', '2'], 'narrative-mcp: min memories 2 is below NARRATIVE_MIN_MEMORIES (5)', inTheApp],
        [['backfill', '--user', 'nobody', '--user', 'locomo-30-jon'], 'narrative-mcp: no user "nobody": see `narrative-mcp users list`', inTheApp],
        [['backfill', '--user', 'not a valid id'], 'narrative-mcp: invalid user id "not a valid id"', beforeTheApp],
        [['refresh', '--horizon-hours', '200'], 'narrative-mcp: the refresh horizon must be more than 0 and less than the TTL (168 hours); got 200', inTheApp],
        [['refresh', '--active-days', '-3'], "error: option '--active-days <n>' argument '-3' is invalid. expected a positive number", beforeTheApp],
      ];
      for (const [args, message, run] of cases) {
        const result = await run(args, env);
        expect(result.code, args.join(' ')).toBe(1);
        expect(result.stderr, args.join(' ')).toContain(message);
      }
      const config = await runCli(['refresh'], { ...env, REFRESH_HORIZON_HOURS: '200' });
      expect(config.code).toBe(2);
      expect(config.stderr).toContain('narrative-mcp: configuration error: REFRESH_HORIZON_HOURS must be less than NARRATIVE_TTL_DAYS in hours (168) (got "200")');
    });
  });

  describe('a run stopped by SIGTERM', () => {
    let env: Record<string, string>;
    let cleanup: () => Promise<void>;
    beforeAll(async () => ({ env, cleanup } = await locomoEnvironment()));
    afterAll(() => cleanup());

    it('finishes the users in flight, says where it stopped, and a re-run generates every user exactly once in total', async () => {
      const before = narrativeCalls();
      const release = fake.hold();
      const child = spawn(process.execPath, [CLI_PATH, 'backfill', '--concurrency', '2'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const output = { stdout: '', stderr: '' };
      child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
      try {
        await until(() => fake.held === 2 || child.exitCode !== null, 20_000);
        child.kill('SIGTERM');
        await until(() => output.stderr.includes('SIGTERM: taking no more users') || child.exitCode !== null, 20_000);
      } finally {
        release();
      }
      const [code] = (await once(child, 'exit')) as [number];

      expect(code).toBe(143);
      expect(output.stdout).toMatch(/^Backfill interrupted by SIGTERM after \d+\.\d s: 14 eligible, 2 generated, 0 skipped, 0 failed; 12 not reached\.$/m);
      expect(output.stdout).toContain('Stopped after locomo-26-melanie.\nRun the same command again to continue: finished users are fresh and are skipped (or add --after locomo-26-melanie to start where it stopped).');
      expect(await storedVersions(env)).toEqual([1, 1]);

      const rerun = await runCliInProcess(['backfill', '--concurrency', '2'], env);
      expect(rerun.code).toBe(0);
      expect(rerun.stdout).toContain('14 eligible, 12 generated, 2 skipped (2 fresh), 0 failed');
      expect(narrativeCalls() - before).toBe(14);
      expect(await storedVersions(env)).toEqual(new Array(14).fill(1));
    });
  });
});
