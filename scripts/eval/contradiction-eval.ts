import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import pino from 'pino';
import { z } from 'zod';
import { openApp } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { DatabaseKind } from '../../src/db/open-database.js';
import { importMemories } from '../../src/engine/import-memories.js';
import { backfill } from '../../src/operations/backfill.js';
import { openThrowAwayDatabase } from './throw-away-database.js';

const caseSchema = z.object({
  case: z.string().min(1),
  kind: z.string().min(1),
  user: z.string().min(1),
  memories: z.array(z.object({ content: z.string().min(1), created_at: z.iso.datetime() })).min(2),
  current: z.array(z.string().min(1)),
  outdated: z.array(z.string().min(1)),
});

/** A case of memories that disagree: what the narrative must say now, and the older fact it must not state as current. */
export type ContradictionCase = z.infer<typeof caseSchema>;

export interface ContradictionOutcome {
  case: string;
  kind: string;
  holds: boolean;
  /** `current` patterns the narrative does not match. */
  missing: string[];
  /** `outdated` patterns the narrative matches. */
  stated: string[];
}

export interface ContradictionReport {
  date: string;
  database: DatabaseKind;
  provider: { name: string; model: string | null };
  held: number;
  cases: ContradictionOutcome[];
}

export async function readContradictionCases(file: string): Promise<ContradictionCase[]> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim().length > 0);
  return lines.map((line, index) => {
    const parsed = caseSchema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`${file}:${index + 1}: ${parsed.error.issues[0]?.message ?? 'not a contradiction case'}`);
    return parsed.data;
  });
}

/** Whether a narrative states each case's current fact and none of its outdated ones. */
export function judgeNarrative(testCase: ContradictionCase, narrative: string): ContradictionOutcome {
  const missing = testCase.current.filter((pattern) => !new RegExp(pattern, 'iu').test(narrative));
  const stated = testCase.outdated.filter((pattern) => new RegExp(pattern, 'iu').test(narrative));
  return { case: testCase.case, kind: testCase.kind, holds: missing.length === 0 && stated.length === 0, missing, stated };
}

/**
 * Imports every case's memories through the product's importer into a throw-away database, writes
 * each narrative with the configured provider through the backfill, and judges it.
 */
export async function runContradictionEval(
  cases: readonly ContradictionCase[],
  options: { database: DatabaseKind; serverUrl?: string; env?: Record<string, string | undefined> },
): Promise<ContradictionReport> {
  const config = loadConfig({ ...(options.env ?? process.env), LOG_LEVEL: 'silent' });
  const { handle, drop } = await openThrowAwayDatabase(options.database, {
    ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}),
    poolSize: config.DATABASE_POOL_SIZE,
  });
  try {
    const app = await openApp(config, pino({ level: 'silent' }), { database: handle });
    try {
      const lines = cases.flatMap((testCase) => testCase.memories.map((memory) => JSON.stringify({ user: testCase.user, ...memory })));
      const imported = await importMemories(app.repositories, Readable.from([`${lines.join('\n')}\n`]), {
        maxChars: config.MAX_MEMORY_CHARS,
        batchSize: 500,
      });
      if (imported.problems.length > 0) throw new Error(`line ${imported.problems[0]!.line}: ${imported.problems[0]!.message}`);
      const users = cases.map((testCase) => testCase.user);
      const generation = await backfill(app, { concurrency: config.LLM_CONCURRENCY, batchSize: 100, users, force: true });
      if (generation.failures.length > 0) throw new Error(`narrative of ${generation.failures[0]!.user} failed: ${generation.failures[0]!.message}`);

      const outcomes: ContradictionOutcome[] = [];
      let model: string | null = null;
      for (const testCase of cases) {
        const user = (await app.repositories.users.findByExternalId(testCase.user))!;
        const narrative = await app.repositories.narratives.get(user.id);
        if (!narrative) throw new Error(`no narrative was written for ${testCase.case} (it needs at least NARRATIVE_MIN_MEMORIES memories)`);
        model ??= narrative.model;
        outcomes.push(judgeNarrative(testCase, narrative.narrative_content));
      }
      return {
        date: new Date().toISOString(),
        database: handle.kind,
        provider: { name: app.engine.provider.name, model },
        held: outcomes.filter((outcome) => outcome.holds).length,
        cases: outcomes,
      };
    } finally {
      await app.close({ graceMs: 0 });
    }
  } finally {
    await drop();
  }
}

export function formatContradictionReport(report: ContradictionReport): string {
  const rows = report.cases.map((outcome) => {
    const why = [...outcome.missing.map((pattern) => `misses /${pattern}/`), ...outcome.stated.map((pattern) => `states /${pattern}/`)];
    return `| ${outcome.case} | ${outcome.kind} | ${outcome.holds ? 'holds' : why.join('; ')} |`;
  });
  return [
    `Contradictions, ${report.provider.name} provider (${report.provider.model ?? 'no model'}), ${report.database}: ${report.held} of ${report.cases.length} hold`,
    '',
    '| case | kind | outcome |',
    '| --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
