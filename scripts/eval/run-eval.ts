import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pino from 'pino';
import { openApp, type App } from '../../src/app/app.js';
import { loadConfig } from '../../src/config/config.js';
import type { MemoryRow } from '../../src/db/database-schema.js';
import type { DatabaseHandle, DatabaseKind } from '../../src/db/open-database.js';
import { importMemories } from '../../src/engine/import-memories.js';
import { countWords } from '../../src/llm/offline/prepared-memory.js';
import { createMcpServer } from '../../src/mcp/create-mcp-server.js';
import { backfill } from '../../src/operations/backfill.js';
import { MemoryIndex } from '../../src/search/memory-index.js';
import { selectContextMemories } from '../../src/search/select-context-memories.js';
import type { EvalDataset } from './eval-dataset.js';
import { crossValidateUsers } from './cross-validate-users.js';
import type { BaselineName, EvalReport, QuestionOutcome, TextCoverage, UserOutcome } from './eval-report.js';
import { eventCoverage } from './event-coverage.js';
import { evidenceHitRank } from './evidence-hit-rank.js';
import { measureReading } from './reading-measures.js';
import type { MeasuredUser } from './in-process-measures.js';
import { recentMemoriesText } from './recent-memories-text.js';
import { summariseUsers } from './summarise-users.js';
import { openThrowAwayDatabase } from './throw-away-database.js';

export interface EvalOptions {
  database: DatabaseKind;
  /** An empty database to use (and close) instead of a throw-away one of `database`'s kind. */
  handle?: DatabaseHandle;
  /** The PostgreSQL server to create the throw-away database on (DATABASE_URL's, by default). */
  serverUrl?: string;
  /** Conversations (`metadata.conversation`) to report apart, as held out from development. */
  heldOut?: readonly string[];
  /** Only these users (external ids). */
  users?: readonly string[];
  /** The environment the configuration is read from (the provider among it). */
  env?: Record<string, string | undefined>;
  /** Memories the in-process context selection attaches. */
  contextSelectionLimit?: number;
  /** Cross-validate the tuned numbers over this many folds of conversations (none when absent or 0). */
  folds?: number;
  /** The length the cross-validation measures the offline narrative at (the provider's default when absent). */
  narrativeWords?: number;
  onProgress?: (message: string) => void;
}

const SEARCH_LIMIT = 20;
const DEFAULT_CONTEXT_SELECTION = 10;
const BASELINE_WORDS: Record<Exclude<BaselineName, 'recent_same_words'>, number> = { recent_400: 400, recent_800: 800 };

/**
 * Imports the dataset's memories into a throw-away database through the product's importer,
 * writes every user's narrative with the configured provider through the backfill, then asks each
 * question through the real MCP tools (`search_memories`, and `orchestrate_smart_context` on the
 * cached narrative) and through the in-process memory index, and measures it all.
 */
export async function runEval(dataset: EvalDataset, options: EvalOptions): Promise<EvalReport> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  const config = loadConfig({ ...(options.env ?? process.env), LOG_LEVEL: 'silent' });
  const { handle, drop } = options.handle
    ? { handle: options.handle, drop: async () => {} }
    : await openThrowAwayDatabase(options.database, {
        ...(options.serverUrl ? { serverUrl: options.serverUrl } : {}),
        poolSize: config.DATABASE_POOL_SIZE,
      });
  try {
    const app = await openApp(config, pino({ level: 'silent' }), { database: handle });
    try {
      const wanted = options.users ? new Set(options.users) : null;
      const memoriesFile = dataset.memoriesFile;
      const importStarted = performance.now();
      const imported = await importMemories(app.repositories, memoriesFile, { maxChars: config.MAX_MEMORY_CHARS, batchSize: 500 });
      if (imported.problems.length > 0) {
        const first = imported.problems[0]!;
        throw new Error(`${memoriesFile}:${first.line}: ${first.message} (${imported.problems.length} bad lines)`);
      }
      progress(`imported ${imported.added} memories of ${imported.usersSeen} users into ${handle.kind}`);
      const users = [...new Set(dataset.memories.map((line) => line.user))].filter((user) => !wanted || wanted.has(user)).sort();

      const narrativesStarted = performance.now();
      const generation = await backfill(app, { concurrency: config.LLM_CONCURRENCY, batchSize: 100, users, force: true });
      for (const failure of generation.failures) progress(`narrative of ${failure.user} failed: ${failure.message}`);
      progress(`wrote ${generation.generated} narratives with the ${app.engine.provider.name} provider`);

      const questionsStarted = performance.now();
      const outcomes: UserOutcome[] = [];
      const measured: MeasuredUser[] = [];
      let model: string | null = null;
      const limit = options.contextSelectionLimit ?? DEFAULT_CONTEXT_SELECTION;
      for (const user of users) {
        const outcome = await evaluateUser(app, dataset, user, limit);
        model ??= outcome.model;
        outcomes.push(outcome.result);
        measured.push(outcome.measured);
        progress(`asked ${outcome.result.questions.length} questions about ${user}`);
      }
      const crossValidationStarted = performance.now();
      const crossValidation = options.folds ? await crossValidateUsers(measured, { folds: options.folds, searchLimit: SEARCH_LIMIT, attachedLimit: limit, ...(options.narrativeWords === undefined ? {} : { narrativeWords: options.narrativeWords }) }, progress) : null;
      const finished = performance.now();

      const heldOut = options.heldOut ?? [];
      const held = new Set(heldOut);
      return {
        date: new Date().toISOString(),
        dataset: dataset.dir,
        database: handle.kind,
        provider: { name: app.engine.provider.name, model },
        node: process.version,
        contextSelectionLimit: limit,
        seconds: {
          import: (narrativesStarted - importStarted) / 1000,
          narratives: (questionsStarted - narrativesStarted) / 1000,
          questions: (crossValidationStarted - questionsStarted) / 1000,
          crossValidation: (finished - crossValidationStarted) / 1000,
          total: (finished - started) / 1000,
        },
        overall: summariseUsers(outcomes),
        splits:
          heldOut.length === 0
            ? null
            : {
                development: summariseUsers(outcomes.filter((user) => !held.has(user.conversation))),
                heldOut: summariseUsers(outcomes.filter((user) => held.has(user.conversation))),
                heldOutConversations: [...heldOut],
              },
        users: outcomes,
        crossValidation,
      };
    } finally {
      await app.close({ graceMs: 0 });
    }
  } finally {
    await drop();
  }
}

async function evaluateUser(
  app: App,
  dataset: EvalDataset,
  externalId: string,
  contextSelectionLimit: number,
): Promise<{ result: UserOutcome; model: string | null; measured: MeasuredUser }> {
  const row = await app.repositories.users.findByExternalId(externalId);
  if (!row) throw new Error(`user ${externalId} was not imported`);
  const memories = await app.repositories.memories.recent(row.id, { limit: 1_000_000 });
  const evidenceOf = new Map(memories.map((memory) => [memory.id, evidenceIds(memory)]));
  const known = new Set([...evidenceOf.values()].flat());
  const events = dataset.events.filter((line) => line.user === externalId).map((line) => line.event);
  const narrative = await app.repositories.narratives.get(row.id);
  const narrativeText = narrative?.narrative_content ?? null;
  const measure = (text: string): TextCoverage => {
    const { covered, total, share } = eventCoverage(text, events);
    return { words: countWords(text), covered, events: total, share };
  };
  const asBaseline = memories.map((memory) => ({ content: memory.content, createdAt: memory.created_at }));
  const narrativeCoverage = narrativeText === null ? null : measure(narrativeText);
  const baselines: Record<BaselineName, TextCoverage> = {
    recent_400: measure(recentMemoriesText(asBaseline, BASELINE_WORDS.recent_400)),
    recent_800: measure(recentMemoriesText(asBaseline, BASELINE_WORDS.recent_800)),
    recent_same_words: measure(recentMemoriesText(asBaseline, narrativeCoverage?.words ?? 0)),
  };

  const index = MemoryIndex.build(memories);
  const client = await connectAs(app, row.id, externalId);
  const questions: QuestionOutcome[] = [];
  const answerable: MeasuredUser['questions'][number][] = [];
  let unanswerable = 0;
  try {
    for (const question of dataset.questions.filter((line) => line.user === externalId)) {
      if (!question.evidence.some((id) => known.has(id))) {
        unanswerable += 1;
        continue;
      }
      answerable.push({ category: question.category, question: question.question, evidence: question.evidence });
      const found = await call(client, 'search_memories', { query: question.question, limit: SEARCH_LIMIT });
      const results = (found.structuredContent as { results: { metadata: unknown }[] }).results;
      const context = await call(client, 'orchestrate_smart_context', { user_message: question.question, is_new_conversation: true });
      const answer = context.structuredContent as { source: string; memories: { id: string }[] };
      const rankOf = (returned: readonly { id: string }[]) =>
        evidenceHitRank(
          returned.map((memory) => evidenceOf.get(memory.id) ?? []),
          question.evidence,
        );
      questions.push({
        category: question.category,
        searchMemories: evidenceHitRank(
          results.map((result) => evidenceIds({ metadata: result.metadata })),
          question.evidence,
        ),
        context: rankOf(answer.memories),
        memoryIndex: rankOf(index.search(question.question, SEARCH_LIMIT)),
        contextSelection: rankOf(selectContextMemories(index, question.question, contextSelectionLimit)),
        contextAttached: answer.memories.length,
        contextSource: answer.source,
      });
    }
  } finally {
    await client.close();
  }
  const conversation = dataset.memories.find((line) => line.user === externalId)?.metadata.conversation ?? externalId;
  return {
    result: {
      user: externalId,
      conversation,
      memories: memories.length,
      narrativeText,
      narrative: narrativeCoverage,
      reading: narrativeText === null ? null : measureReading(narrativeText, memories.map((memory) => memory.content), row.display_name),
      baselines,
      questions,
      unanswerable,
    },
    model: narrative?.model ?? null,
    measured: {
      user: externalId,
      conversation,
      shipped: {
        coverage: narrativeCoverage?.share ?? 0,
        questions: questions.map((q) => ({ category: q.category, search: q.searchMemories, attached: q.context })),
      },
      promptUser: { externalId, displayName: row.display_name },
      memories,
      evidenceOf,
      events,
      questions: answerable,
    },
  };
}

/** A real MCP client, linked in process to a server session acting for the user. */
async function connectAs(app: App, userId: string, externalId: string): Promise<Client> {
  const server = createMcpServer({ engine: app.engine, logger: app.logger, resolveUser: async () => ({ id: userId, externalId }) });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'narrative-mcp-eval', version: '0.0.0' });
  await Promise.all([server.connect(serverTransport), client.connect(clientTransport)]);
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  if (result.isError) {
    const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join(' ');
    throw new Error(`${name} failed: ${text}`);
  }
  return result;
}

function evidenceIds(memory: Pick<MemoryRow, 'metadata'> | { metadata: unknown }): string[] {
  const evidence = (memory.metadata as { evidence?: unknown } | null)?.evidence;
  return Array.isArray(evidence) ? evidence.filter((id): id is string => typeof id === 'string') : [];
}
