import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnvironment, runCli } from '../support/cli.js';
import { runCliInProcess } from '../support/in-process-cli.js';
import { DATABASES } from '../support/test-databases.js';

// Already in the order and form an export writes: each user's memories oldest first, every field given.
const LINES = [
  { user: 'fay', content: 'Fay plays the oboe.', created_at: '2025-01-02T03:04:05.678Z', metadata: { topic: 'music' }, source: 'import' },
  { user: 'fay', content: 'Fay is in Oslo this month.', created_at: '2025-02-01T00:00:00.000Z', metadata: {}, source: 'mcp', expires_at: '2099-01-01T00:00:00.000Z' },
  { user: 'gus', content: 'Gus keeps chickens.', created_at: '2025-03-01T12:00:00.000Z', metadata: {}, source: 'http' },
];

describe.each(DATABASES)('narrative-mcp export on %s', (kind) => {
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    ({ env, cleanup } = await cliEnvironment(kind, { migrated: true }));
    dir = await mkdtemp(join(tmpdir(), 'narrative-mcp-export-'));
  });
  afterAll(async () => {
    await cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it('writes to a file exactly the lines an import read, and says what it wrote', async () => {
    const input = join(dir, 'in.jsonl');
    const output = join(dir, 'out.jsonl');
    const text = LINES.map((line) => `${JSON.stringify(line)}\n`).join('');
    await writeFile(input, text);
    expect((await runCliInProcess(['import', input], env)).code).toBe(0);

    const result = await runCli(['export', '--out', output], env);
    expect(result.stderr).toBe(`Exported 3 memories and 0 narratives of 2 users to ${output}.\n`);
    expect(result.code).toBe(0);
    expect(await readFile(output, 'utf8')).toBe(text);
  });
});
