import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { NarrativeEngine } from '../../src/engine/narrative-engine.js';
import { createMcpServer } from '../../src/mcp/create-mcp-server.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { ManualClock } from '../support/manual-clock.js';
import { callTool, connectInProcess, textOf } from '../support/mcp-test-client.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';

const ATTACHED = 4;
const DAY_MS = 24 * 60 * 60 * 1000;

/** What the user told in three conversations weeks apart, in the first person, as MCP clients store it. */
const JANUARY = [
  'I planted tomatoes and basil in my garden.',
  'I work as a nurse at the city hospital.',
  'My brother Sam lives in Denver.',
  'I adopted a cat named Miso.',
];
const FEBRUARY = [
  'I built raised beds in the garden.',
  'I love hiking in the mountains.',
  'I am learning Spanish on an app.',
  'I bought a road bike.',
];
const LAST_CONVERSATION = [
  'I started a pottery class on Tuesdays.',
  'My sister Ana visited me from Lisbon this week.',
  'I finished reading Dune by Frank Herbert.',
  'I got promoted to head nurse.',
];
/** The same news said again with less in it: it deserves no place of its own. */
const RETOLD = 'I started a pottery class.';

interface ContextOutput {
  source: string;
  memories: { content: string }[];
}

function structured<T>(result: CallToolResult): T {
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as T;
}

describe.each(DATABASES)('orchestrate_smart_context for a message about time or with no words, on %s', (kind) => {
  // Memories are dated by the app's clock, so the app and each test's engine share one.
  const clock = new ManualClock(new Date('2026-01-10T18:00:00Z'));
  let app: App;
  let engine: NarrativeEngine;
  let client: Client;
  let testNumber = 0;

  async function remember(memories: readonly string[]): Promise<void> {
    structured(await callTool(client, 'add_memories', { memories: memories.map((content) => ({ content })) }));
  }

  async function attached(message: string): Promise<string[]> {
    const context = structured<ContextOutput>(await callTool(client, 'orchestrate_smart_context', { user_message: message }));
    expect(context.source).toBe('cache');
    return context.memories.map((memory) => memory.content);
  }

  beforeAll(async () => {
    app = await openTestApp(kind, { CONTEXT_MEMORIES: String(ATTACHED) }, { clock });
  });
  afterAll(() => app.close({ graceMs: 0 }));

  beforeEach(async () => {
    testNumber += 1;
    engine = new NarrativeEngine({
      config: app.config,
      repositories: app.repositories,
      provider: new ControlledProvider(),
      clock,
      logger: app.logger,
    });
    const externalId = `recent-${testNumber}`;
    const user = { id: (await app.repositories.users.getOrCreate(externalId)).id, externalId };
    client = await connectInProcess(createMcpServer({ engine, logger: app.logger, resolveUser: async () => user }));
    await client.listTools();

    await remember(JANUARY);
    await clock.advance(28 * DAY_MS);
    await remember(FEBRUARY);
    await clock.advance(21 * DAY_MS);
    await remember([...LAST_CONVERSATION, RETOLD]);
    expect(structured(await callTool(client, 'regenerate_narrative', { wait: true }))).toMatchObject({ state: 'completed' });
  });
  afterEach(async () => {
    await client.close();
    await engine.runner.close(Promise.resolve());
  });

  it('attaches the last conversation\'s news to "Hi! What have I been up to lately?", each piece once', async () => {
    expect((await attached('Hi! What have I been up to lately?')).sort()).toEqual([...LAST_CONVERSATION].sort());
  });

  it.each(["What's new since we last talked?", 'Anything happen this week?', 'Catch me up on the latest news, please.'])(
    'attaches the recent memories to a message only about time: %j',
    async (message) => {
      expect((await attached(message)).sort()).toEqual([...LAST_CONVERSATION].sort());
    },
  );

  it.each(['Hello!', 'hello there', '?'])('attaches the recent memories to a message with no words to search: %j', async (message) => {
    expect((await attached(message)).sort()).toEqual([...LAST_CONVERSATION].sort());
  });

  it('ranks the memories of the subject first when a message about time names one, then the recent ones', async () => {
    const memories = await attached('What did I do this week about the garden?');
    expect(memories.slice(0, 2).sort()).toEqual(['I built raised beds in the garden.', 'I planted tomatoes and basil in my garden.']);
    expect(memories.slice(2).every((memory) => LAST_CONVERSATION.includes(memory))).toBe(true);
    expect(memories).toHaveLength(ATTACHED);
  });

  it('attaches to a question about something the memories the search ranks first, as before', async () => {
    const searched = structured<{ results: { content: string }[] }>(
      await callTool(client, 'search_memories', { query: 'How is my cat Miso doing?', limit: ATTACHED }),
    );
    expect(await attached('How is my cat Miso doing?')).toEqual(searched.results.map((memory) => memory.content));
    expect(await attached('How is my cat Miso doing?')).toEqual(['I adopted a cat named Miso.']);
  });
});
