import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCOMO_DIR } from './locomo.js';

/** A new directory, outside the repository, with the three LoCoMo files cut down to these users. */
export async function locomoSubset(users: readonly string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'narrative-mcp-locomo-'));
  for (const file of ['memories.jsonl', 'questions.jsonl', 'events.jsonl']) {
    const lines = (await readFile(join(LOCOMO_DIR, file), 'utf8'))
      .split('\n')
      .filter((line) => line.trim() !== '' && users.includes((JSON.parse(line) as { user: string }).user));
    await writeFile(join(dir, file), `${lines.join('\n')}\n`);
  }
  return dir;
}
