import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ResourceUpdatedNotificationSchema, type CallToolResult, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { App } from '../../src/app/app.js';
import { NarrativeEngine } from '../../src/engine/narrative-engine.js';
import { LlmError } from '../../src/llm/llm-error.js';
import { createMcpServer } from '../../src/mcp/create-mcp-server.js';
import type { RequestUser } from '../../src/mcp/tool-context.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { ManualClock } from '../support/manual-clock.js';
import { callTool, connectInProcess, textOf } from '../support/mcp-test-client.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';
import { until } from '../support/until.js';

const ALICE_FACTS = [
  'Alice works as a pastry chef in Lyon.',
  'Alice has a brother named Tomas who lives in Oslo.',
  'Alice is training for a half marathon in October.',
  'Alice plays the saxophone in a jazz band on weekends.',
  'Alice wants to open her own bakery within two years.',
  'Alice adopted a greyhound called Pixel.',
];
const BOB_FACTS = ['Bob repairs vintage motorcycles.', 'Bob grows tomatoes on his balcony.'];

const TOOL_NAMES = [
  'orchestrate_smart_context',
  'regenerate_narrative',
  'narrative_status',
  'add_memories',
  'search_memories',
  'list_memories',
  'update_memories',
  'delete_memories',
];

interface ContextOutput {
  source: string;
  narrative: { version: number; generated_at: string; stale: boolean; stale_reasons: string[] } | null;
  reason: string | null;
  memories: { id: string; content: string; created_at: string }[];
  generation_scheduled: boolean;
  elapsed_ms: number;
}

interface ListOutput {
  memories: { id: string; content: string; created_at: string; updated_at: string | null; metadata: Record<string, unknown> }[];
  next_cursor: string | null;
}

interface UpdateOutput {
  updated: ListOutput['memories'];
  errors: { index: number; id: string; reason: string; message: string }[];
  narrative_regenerating: boolean;
}

function structured<T>(result: CallToolResult): T {
  expect(result.isError, textOf(result)).toBeFalsy();
  return result.structuredContent as T;
}

describe.each(DATABASES)('narrative tools, resource and prompt over MCP on %s', (kind) => {
  // One database per file; each test gets its own engine (LLM, clock, job runner) and its own two users.
  let app: App;
  let engine: NarrativeEngine;
  let provider: ControlledProvider;
  let clock: ManualClock;
  let testNumber = 0;
  let names: { alice: string; bob: string };
  let alice: Client;
  let bob: Client;
  const clients: Client[] = [];

  /** A real SDK client for the user; it lists the tools first so it validates every structured result. */
  async function clientFor(externalId: string): Promise<Client> {
    const row = await app.repositories.users.getOrCreate(externalId);
    const user: RequestUser = { id: row.id, externalId };
    const client = await connectInProcess(createMcpServer({ engine, logger: app.logger, resolveUser: async () => user }));
    await client.listTools();
    clients.push(client);
    return client;
  }

  async function userId(externalId: string): Promise<string> {
    return (await app.repositories.users.getOrCreate(externalId)).id;
  }

  async function remember(client: Client, facts: readonly string[]): Promise<string[]> {
    const result = await callTool(client, 'add_memories', { memories: facts.map((content) => ({ content })) });
    return structured<{ added: { id: string }[] }>(result).added.map((memory) => memory.id);
  }

  async function orchestrate(client: Client, message: string): Promise<ContextOutput & { text: string }> {
    const result = await callTool(client, 'orchestrate_smart_context', { user_message: message });
    return { ...structured<ContextOutput>(result), text: textOf(result) };
  }

  async function listAll(client: Client, limit: number): Promise<{ pages: ListOutput[]; ids: string[] }> {
    const pages: ListOutput[] = [];
    let cursor: string | null = null;
    do {
      const page: ListOutput = structured<ListOutput>(
        await callTool(client, 'list_memories', { limit, ...(cursor === null ? {} : { cursor }) }),
      );
      pages.push(page);
      cursor = page.next_cursor;
    } while (cursor !== null && pages.length < 100);
    return { pages, ids: pages.flatMap((page) => page.memories.map((memory) => memory.id)) };
  }

  async function status(client: Client): Promise<Record<string, unknown>> {
    return structured(await callTool(client, 'narrative_status', {}));
  }

  /** regenerate_narrative with wait=true, checked to have written the given version. */
  async function regenerated(client: Client, version: number): Promise<void> {
    expect(structured(await callTool(client, 'regenerate_narrative', { wait: true }))).toEqual({ state: 'completed', version });
  }

  beforeAll(async () => {
    app = await openTestApp(kind, { REGENERATE_PER_HOUR: '2', LLM_MAX_RETRIES: '0' });
  });
  afterAll(() => app.close({ graceMs: 0 }));

  beforeEach(async () => {
    testNumber += 1;
    provider = new ControlledProvider();
    clock = new ManualClock(new Date('2026-03-01T12:00:00Z'));
    engine = new NarrativeEngine({
      config: app.config,
      repositories: app.repositories,
      provider,
      clock,
      logger: app.logger,
    });
    names = { alice: `alice-${testNumber}`, bob: `bob-${testNumber}` };
    alice = await clientFor(names.alice);
    bob = await clientFor(names.bob);
  });
  afterEach(async () => {
    vi.useRealTimers();
    provider.release();
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await engine.runner.close(Promise.resolve());
  });

  describe('tools/list', () => {
    it('lists every tool with an output schema and annotations', async () => {
      const { tools } = await alice.listTools();
      const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
      expect(Object.keys(byName)).toEqual(expect.arrayContaining(TOOL_NAMES));
      for (const name of TOOL_NAMES) {
        expect(byName[name]!.outputSchema, name).toMatchObject({ type: 'object' });
        expect(byName[name]!.annotations, name).toBeDefined();
        expect(byName[name]!.description, name).toBeTruthy();
      }
      expect(byName.delete_memories!.annotations?.destructiveHint).toBe(true);
      expect(byName.update_memories!.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true });
      expect(byName.update_memories!.inputSchema.required).toEqual(['updates']);
      for (const name of ['list_memories', 'search_memories', 'narrative_status']) {
        expect(byName[name]!.annotations?.readOnlyHint, name).toBe(true);
        expect(byName[name]!.annotations?.destructiveHint, name).toBe(false);
      }
      expect(byName.orchestrate_smart_context!.inputSchema.required).toEqual(['user_message']);
    });
  });

  describe('orchestrate_smart_context', () => {
    it('answers a user below the minimum with their few memories and calls no LLM', async () => {
      await remember(bob, BOB_FACTS);
      const context = await orchestrate(bob, 'what should I cook tonight?');
      expect(context).toMatchObject({ source: 'memories_only', reason: 'below_minimum', narrative: null, generation_scheduled: false });
      expect(context.memories.map((memory) => memory.content).sort()).toEqual([...BOB_FACTS].sort());
      expect(provider.calls).toEqual({ narrative: 0, analysis: 0 });
    });

    it('runs the deep analysis on the first call, then answers from the cache with the relevant memory first', async () => {
      await remember(alice, ALICE_FACTS);
      const first = await orchestrate(alice, 'any jazz gigs for my saxophone this weekend?');
      expect(first).toMatchObject({ source: 'deep_analysis', narrative: null, generation_scheduled: true });
      expect(first.text).toContain('Analysis for "any jazz gigs for my saxophone this weekend?"');
      expect(provider.calls.analysis).toBe(1);
      await engine.runner.onIdle();

      const second = await orchestrate(alice, 'any jazz gigs for my saxophone this weekend?');
      expect(second).toMatchObject({ source: 'cache', narrative: { version: 1, stale: false, stale_reasons: [] }, generation_scheduled: false });
      expect(second.memories[0]!.content).toBe('Alice plays the saxophone in a jazz band on weekends.');
      expect(second.text).toContain(`Narrative of ${names.alice}:`);
      expect(provider.calls).toEqual({ narrative: 1, analysis: 1 });
    });

    it('returns structured content that matches its output schema, with a numeric elapsed_ms', async () => {
      await remember(alice, ALICE_FACTS);
      // The client listed the tools, so callTool itself throws when structuredContent does not match outputSchema.
      for (const step of ['miss', 'hit']) {
        const result = await callTool(alice, 'orchestrate_smart_context', { user_message: 'bakery plans', is_new_conversation: true });
        expect(result.isError, `${step}: ${textOf(result)}`).toBeFalsy();
        const context = result.structuredContent as unknown as ContextOutput;
        expect(typeof context.elapsed_ms, step).toBe('number');
        expect(context.elapsed_ms, step).toBeGreaterThanOrEqual(0);
        expect(Object.keys(context).sort(), step).toEqual(['elapsed_ms', 'generation_scheduled', 'memories', 'narrative', 'reason', 'source']);
        await engine.runner.onIdle();
      }
    });

    it('answers a call without user_message with a tool error', async () => {
      const result = await callTool(alice, 'orchestrate_smart_context', {});
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/user_message/);
      expect(provider.calls).toEqual({ narrative: 0, analysis: 0 });
    });
  });

  describe('regenerate_narrative', () => {
    it('waits for the new version when asked to, raising it by one each time', async () => {
      await remember(alice, ALICE_FACTS);
      await regenerated(alice, 1);
      await regenerated(alice, 2);
      expect(provider.calls.narrative).toBe(2);
    });

    it('answers at once with the job state when not asked to wait', async () => {
      await remember(alice, ALICE_FACTS);
      provider.hold();
      const answer = structured<{ state: string; version: number | null }>(await callTool(alice, 'regenerate_narrative', {}));
      expect(['queued', 'running']).toContain(answer.state);
      expect(answer.version).toBeNull();
      await until(() => provider.waiting === 1);
      provider.release();
      await engine.runner.onIdle();
      expect(await status(alice)).toMatchObject({ narrative: { version: 1 }, job: 'idle' });
    });

    it('reports progress to a client that asks for it, from queued to the version written', async () => {
      await remember(alice, ALICE_FACTS);
      const progress: Progress[] = [];
      const result = (await alice.callTool({ name: 'regenerate_narrative', arguments: { wait: true } }, undefined, {
        onprogress: (update) => progress.push(update),
      })) as CallToolResult;
      expect(structured(result)).toEqual({ state: 'completed', version: 1 });
      expect(progress.map((update) => update.message)).toEqual(['queued', 'writing the narrative', 'version 1 written']);
      const steps = progress.map((update) => update.progress);
      expect(steps).toEqual([...steps].sort((a, b) => a - b));
    });

    it('limits regenerations per user per hour and says when to retry', async () => {
      await remember(alice, ALICE_FACTS);
      await remember(bob, [...BOB_FACTS, 'Bob speaks Greek.', 'Bob has a cat named Olive.', 'Bob cycles to work.']);
      for (const version of [1, 2]) {
        await regenerated(alice, version);
      }
      const limited = await callTool(alice, 'regenerate_narrative', { wait: true });
      expect(structured(limited)).toEqual({ state: 'rate_limited', retry_at: '2026-03-01T13:00:00.000Z', retry_after_seconds: 3600 });
      expect(textOf(limited)).toContain('3600 s');
      expect(provider.calls.narrative).toBe(2);

      await regenerated(bob, 1);
      await clock.advance(60 * 60 * 1000);
      await regenerated(alice, 3);
    });

    it('refuses a user with too few memories and calls no LLM', async () => {
      await remember(bob, BOB_FACTS);
      expect(structured(await callTool(bob, 'regenerate_narrative', { wait: true }))).toEqual({
        state: 'not_eligible',
        memory_count: 2,
        min_memories: 5,
      });
      expect(provider.calls.narrative).toBe(0);
    });
  });

  describe('narrative_status', () => {
    it('says there is no narrative yet', async () => {
      await remember(alice, ALICE_FACTS);
      const result = await callTool(alice, 'narrative_status', {});
      expect(structured(result)).toMatchObject({
        eligible: true,
        memory_count: 6,
        min_memories: 5,
        narrative: null,
        job: 'idle',
        last_failure: null,
        next_refresh_at: null,
      });
      expect(textOf(result)).toContain('No narrative yet.');
    });

    it('shows the version, freshness and provider once a narrative is written', async () => {
      await remember(alice, ALICE_FACTS);
      await regenerated(alice, 1);
      expect(await status(alice)).toMatchObject({
        narrative: { version: 1, state: 'fresh', stale_reasons: [], provider: 'controlled', model: 'controlled-narrative', built_from_memories: 6 },
        job: 'idle',
        last_success_at: '2026-03-01T12:00:00.000Z',
        last_failure: null,
        next_refresh_at: '2026-03-08T12:00:00.000Z',
      });
    });

    it('shows the last failed generation with its kind and message, keeping the previous narrative', async () => {
      await remember(alice, ALICE_FACTS);
      await regenerated(alice, 1);
      await clock.advance(60_000);
      provider.failNext('narrative', new LlmError('server_error', 'boom'));
      expect(structured(await callTool(alice, 'regenerate_narrative', { wait: true }))).toMatchObject({ state: 'failed', kind: 'server_error' });

      const result = await callTool(alice, 'narrative_status', {});
      const shown = structured<{ last_failure: { message: string } }>(result);
      expect(shown).toMatchObject({
        narrative: { version: 1 },
        last_failure: { kind: 'server_error', at: '2026-03-01T12:01:00.000Z', consecutive_failures: 1 },
      });
      expect(shown.last_failure.message).toContain('boom');
      expect(textOf(result)).toContain('(server_error)');
    });

    it('shows the job running while the LLM is writing', async () => {
      await remember(alice, ALICE_FACTS);
      provider.hold();
      await callTool(alice, 'regenerate_narrative', {});
      await until(() => provider.waiting === 1);
      expect(await status(alice)).toMatchObject({ job: 'running', narrative: null });
      expect(await status(bob)).toMatchObject({ job: 'idle' });
      provider.release();
      await engine.runner.onIdle();
      expect(await status(alice)).toMatchObject({ job: 'idle', narrative: { version: 1 } });
    });
  });

  describe('list_memories', () => {
    it('lists memories newest first', async () => {
      await engine.memories.add(
        await userId(names.alice),
        ALICE_FACTS.map((content, day) => ({ content, created_at: new Date(Date.UTC(2026, 1, day + 1)) })),
        'test',
      );
      const page = structured<ListOutput>(await callTool(alice, 'list_memories', {}));
      expect(page.memories.map((memory) => memory.content)).toEqual([...ALICE_FACTS].reverse());
      expect(page.next_cursor).toBeNull();
    });

    it('lists memories stored one after another newest first, even within the same millisecond', async () => {
      const facts = Array.from({ length: 8 }, (_, i) => `Alice fact number ${i}.`);
      // Memories take their time from the wall clock; freezing it stands for calls landing in one millisecond.
      vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-01T12:00:00Z') });
      for (const fact of facts) await remember(alice, [fact]);
      vi.useRealTimers();
      const { pages } = await listAll(alice, 3);
      expect(pages.flatMap((page) => page.memories.map((memory) => memory.content))).toEqual([...facts].reverse());
    });

    it('pages with next_cursor through every memory exactly once', async () => {
      const facts = Array.from({ length: 23 }, (_, i) => `Alice remembers thing ${i}.`);
      const added = [...(await remember(alice, facts.slice(0, 10))), ...(await remember(alice, facts.slice(10)))];
      await remember(bob, BOB_FACTS);

      const { pages, ids } = await listAll(alice, 5);
      expect(pages.map((page) => page.memories.length)).toEqual([5, 5, 5, 5, 3]);
      expect(pages.at(-1)!.next_cursor).toBeNull();
      expect(ids).toHaveLength(23);
      expect(new Set(ids)).toEqual(new Set(added));
      const times = pages.flatMap((page) => page.memories.map((memory) => memory.created_at));
      expect(times).toEqual([...times].sort().reverse());
    });

    it.each([
      ['garbage', 'not-a-cursor!!'],
      ['base64 of something else', Buffer.from('{"a":1}').toString('base64url')],
      ['base64 of a wrong id', Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', 'x'])).toString('base64url')],
      ['base64 of an id shaped like a UUID but not one', Buffer.from(JSON.stringify(['2026-01-01T00:00:00.000Z', '-'.repeat(36)])).toString('base64url')],
      ['base64 of a time the database cannot store', Buffer.from(JSON.stringify(['-271821-04-20T00:00:00.000Z', '00000000-0000-4000-8000-000000000000'])).toString('base64url')],
    ])('answers a %s cursor with a tool error saying what to do', async (_case, cursor) => {
      await remember(alice, ALICE_FACTS);
      const result = await callTool(alice, 'list_memories', { cursor });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe('cursor is not one this server returned; start again without a cursor');
      expect(structured<ListOutput>(await callTool(alice, 'list_memories', {})).memories).toHaveLength(6);
    });
  });

  describe('delete_memories', () => {
    it("deletes the user's own memories", async () => {
      const [first, second] = await remember(alice, ALICE_FACTS.slice(0, 2));
      const result = await callTool(alice, 'delete_memories', { ids: [first!] });
      expect(structured(result)).toEqual({ deleted: [first], not_found: [], narrative_regenerating: false });
      const left = structured<ListOutput>(await callTool(alice, 'list_memories', {}));
      expect(left.memories.map((memory) => memory.id)).toEqual([second]);
      const found = structured<{ results: unknown[] }>(await callTool(alice, 'search_memories', { query: 'pastry chef Lyon' }));
      expect(found.results).toEqual([]);
    });

    it("reports another user's memory ids as not found and leaves those memories alone", async () => {
      const [bobs] = await remember(bob, BOB_FACTS.slice(0, 1));
      const [alices] = await remember(alice, ALICE_FACTS.slice(0, 1));
      const result = await callTool(alice, 'delete_memories', { ids: [bobs!, alices!] });
      expect(structured(result)).toEqual({ deleted: [alices], not_found: [bobs], narrative_regenerating: false });
      const bobsList = structured<ListOutput>(await callTool(bob, 'list_memories', {}));
      expect(bobsList.memories.map((memory) => memory.id)).toEqual([bobs]);
    });

    it('answers an id that is not a UUID with a tool error and deletes nothing', async () => {
      const [id] = await remember(alice, ALICE_FACTS.slice(0, 1));
      const result = await callTool(alice, 'delete_memories', { ids: [id!, 'not-a-uuid'] });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/UUID/);
      expect(structured<ListOutput>(await callTool(alice, 'list_memories', {})).memories).toHaveLength(1);
    });

    it('takes a deleted memory out of the narrative: stale at once, never attached, gone from the next version', async () => {
      const ids = await remember(alice, ALICE_FACTS);
      await regenerated(alice, 1);
      const forgotten = ALICE_FACTS[3]!;
      const forgottenId = ids[ALICE_FACTS.indexOf(forgotten)]!;

      provider.hold();
      const deleted = await callTool(alice, 'delete_memories', { ids: [forgottenId] });
      expect(structured(deleted)).toEqual({ deleted: [forgottenId], not_found: [], narrative_regenerating: true });

      const stale = await orchestrate(alice, 'saxophone jazz band weekends');
      expect(stale).toMatchObject({ source: 'stale_cache', narrative: { version: 1, stale: true, stale_reasons: ['memory_deleted'] } });
      expect(stale.memories.map((memory) => memory.id)).not.toContain(forgottenId);
      expect(stale.memories.map((memory) => memory.content)).not.toContain(forgotten);

      provider.release();
      await engine.runner.onIdle();
      const fresh = await orchestrate(alice, 'saxophone jazz band weekends');
      expect(fresh).toMatchObject({ source: 'cache', narrative: { version: 2, stale: false } });
      expect(fresh.text).not.toContain(forgotten);
      expect(fresh.memories.map((memory) => memory.id)).not.toContain(forgottenId);
      const read = await alice.readResource({ uri: 'narrative://me' });
      expect(read.contents[0]).toMatchObject({ text: expect.not.stringContaining(forgotten) });
    });
  });

  describe('update_memories', () => {
    it("corrects the user's own memories in place, and list_memories shows when", async () => {
      const [first, second] = await remember(alice, ALICE_FACTS.slice(0, 2));
      const before = structured<ListOutput>(await callTool(alice, 'list_memories', {})).memories;
      expect(before.map((memory) => memory.updated_at)).toEqual([null, null]);

      const result = await callTool(alice, 'update_memories', {
        updates: [
          { id: first!, content: 'Alice works as a pastry chef in Marseille.' },
          { id: second!, metadata: { relation: 'brother' } },
        ],
      });

      const output = structured<UpdateOutput>(result);
      expect(output).toMatchObject({ errors: [], narrative_regenerating: false });
      expect(output.updated.map((memory) => [memory.id, memory.content, memory.metadata])).toEqual([
        [first, 'Alice works as a pastry chef in Marseille.', {}],
        [second, ALICE_FACTS[1], { relation: 'brother' }],
      ]);
      expect(textOf(result)).toBe('Updated 2 memories.');
      const after = structured<ListOutput>(await callTool(alice, 'list_memories', {})).memories;
      expect(after.map((memory) => [memory.id, memory.created_at])).toEqual(before.map((memory) => [memory.id, memory.created_at]));
      // The repositories of this file stamp with the wall clock.
      const isoTime = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(after.map((memory) => memory.updated_at)).toEqual([isoTime, isoTime]);
      expect(after.every((memory) => memory.updated_at! >= memory.created_at)).toBe(true);
      const found = structured<{ results: { id: string }[] }>(await callTool(alice, 'search_memories', { query: 'Marseille' }));
      expect(found.results.map((memory) => memory.id)).toEqual([first]);
    });

    it('refuses the whole call when any item is bad, saying why for each by index, and changes nothing', async () => {
      const [bobs] = await remember(bob, BOB_FACTS.slice(0, 1));
      const [first, second] = await remember(alice, ALICE_FACTS.slice(0, 2));
      const result = await callTool(alice, 'update_memories', {
        updates: [
          { id: first!, content: 'Alice bakes bread in Lyon.' },
          { id: bobs!, content: 'Bob sold his motorcycles.' },
          { id: 'not-a-uuid', content: 'Anything.' },
          { id: second!, content: ' ' },
          { id: first!.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')), content: 'x'.repeat(app.config.MAX_MEMORY_CHARS + 1) },
        ],
      });

      expect(result.isError).toBe(true);
      expect(result.structuredContent).toEqual({
        updated: [],
        errors: [
          { index: 1, id: bobs, reason: 'not_found', message: expect.any(String) },
          { index: 2, id: 'not-a-uuid', reason: 'invalid_id', message: expect.any(String) },
          { index: 3, id: second, reason: 'invalid_content', message: 'content is empty' },
          { index: 4, id: expect.any(String), reason: 'invalid_content', message: `content is longer than ${app.config.MAX_MEMORY_CHARS} characters` },
        ],
        narrative_regenerating: false,
      });
      expect(textOf(result)).toMatch(/^Nothing was changed; 4 items were refused:\n- item 1 /);
      expect(textOf(result)).toContain('- item 3 ');
      const left = structured<ListOutput>(await callTool(alice, 'list_memories', {})).memories;
      expect(left.map((memory) => [memory.content, memory.updated_at])).toEqual([
        [ALICE_FACTS[1], null],
        [ALICE_FACTS[0], null],
      ]);
      expect(structured<ListOutput>(await callTool(bob, 'list_memories', {})).memories[0]!.content).toBe(BOB_FACTS[0]);
    });

    it.each([
      ['no updates', { updates: [] }],
      ['more than 100 updates', { updates: Array.from({ length: 101 }, () => ({ id: '00000000-0000-4000-8000-000000000000', content: 'x' })) }],
      ['updates that are not a list', { updates: 'fix it' }],
      ['content that is not text', { updates: [{ id: '00000000-0000-4000-8000-000000000000', content: 42 }] }],
    ])('answers %s with a tool error', async (_case, args) => {
      const result = await callTool(alice, 'update_memories', args);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/updates/);
    });

    it('takes an old text out of the narrative: stale at once, the new text attached, the next version built from it', async () => {
      const ids = await remember(alice, ALICE_FACTS);
      await regenerated(alice, 1);
      const old = ALICE_FACTS[3]!;
      const corrected = 'Alice plays the clarinet in a folk band on weekends.';

      provider.hold();
      const updated = await callTool(alice, 'update_memories', { updates: [{ id: ids[3]!, content: corrected }] });
      expect(structured<UpdateOutput>(updated)).toMatchObject({ errors: [], narrative_regenerating: true });
      expect(textOf(updated)).toContain('being rewritten');

      const stale = await orchestrate(alice, 'clarinet folk band weekends');
      expect(stale).toMatchObject({ source: 'stale_cache', narrative: { version: 1, stale: true, stale_reasons: ['memory_updated'] } });
      expect(stale.memories[0]).toMatchObject({ id: ids[3], content: corrected });
      expect(stale.memories.map((memory) => memory.content)).not.toContain(old);
      expect(await status(alice)).toMatchObject({ narrative: { state: 'stale', memory_updated_since: true, memory_deleted_since: false } });

      provider.release();
      await engine.runner.onIdle();
      const fresh = await orchestrate(alice, 'clarinet folk band weekends');
      expect(fresh).toMatchObject({ source: 'cache', narrative: { version: 2, stale: false } });
      expect(fresh.text).not.toContain(old);
      expect(fresh.text).toContain(corrected);
    });
  });

  describe('the narrative://me resource', () => {
    it('is listed as markdown', async () => {
      const { resources } = await alice.listResources();
      expect(resources).toContainEqual(expect.objectContaining({ uri: 'narrative://me', mimeType: 'text/markdown' }));
    });

    it('reads as the memories with a note until the narrative exists, then as the narrative', async () => {
      await remember(alice, ALICE_FACTS);
      await remember(bob, BOB_FACTS);

      const pending = await alice.readResource({ uri: 'narrative://me' });
      expect(pending.contents).toHaveLength(1);
      const pendingText = (pending.contents[0] as { text: string }).text;
      expect(pendingText).toContain('A narrative of the user is being written');
      for (const fact of ALICE_FACTS) expect(pendingText).toContain(fact);

      const few = (await bob.readResource({ uri: 'narrative://me' })).contents[0] as { text: string };
      expect(few.text).toContain('only a few memories');
      for (const fact of BOB_FACTS) expect(few.text).toContain(fact);
      for (const fact of ALICE_FACTS) expect(few.text).not.toContain(fact);

      await engine.runner.onIdle();
      const written = (await alice.readResource({ uri: 'narrative://me' })).contents[0] as { text: string; mimeType: string };
      expect(written.mimeType).toBe('text/markdown');
      expect(written.text).toContain('narrative v1');
      expect(written.text).toContain(`Narrative of ${names.alice}:`);
      expect(provider.calls.narrative).toBe(1);
    });

    it("notifies a subscriber when a new version is written, and only for that subscriber's user", async () => {
      await remember(alice, ALICE_FACTS);
      await remember(bob, [...BOB_FACTS, 'Bob speaks Greek.', 'Bob has a cat named Olive.', 'Bob cycles to work.']);
      const aliceUpdates: string[] = [];
      const bobUpdates: string[] = [];
      alice.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
        aliceUpdates.push(notification.params.uri);
      });
      bob.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
        bobUpdates.push(notification.params.uri);
      });
      await alice.subscribeResource({ uri: 'narrative://me' });
      await bob.subscribeResource({ uri: 'narrative://me' });

      await regenerated(alice, 1);
      await until(() => aliceUpdates.length === 1);
      expect(aliceUpdates).toEqual(['narrative://me']);

      // Bob's own write is notified to Bob; had Alice's been notified to him, it would have arrived first.
      await regenerated(bob, 1);
      await until(() => bobUpdates.length >= 1);
      await callTool(bob, 'narrative_status', {});
      expect(bobUpdates).toEqual(['narrative://me']);
      expect(aliceUpdates).toEqual(['narrative://me']);
    });

    it('stops notifying after unsubscribe, and never notifies for a failed generation', async () => {
      await remember(alice, ALICE_FACTS);
      const updates: string[] = [];
      alice.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
        updates.push(notification.params.uri);
      });
      await alice.subscribeResource({ uri: 'narrative://me' });
      provider.failNext('narrative', new LlmError('server_error', 'boom'));
      expect(structured(await callTool(alice, 'regenerate_narrative', { wait: true }))).toMatchObject({ state: 'failed' });
      await callTool(alice, 'narrative_status', {});
      expect(updates).toEqual([]);
      await regenerated(alice, 1);
      await until(() => updates.length === 1);

      await alice.unsubscribeResource({ uri: 'narrative://me' });
      await clock.advance(60 * 60 * 1000);
      await regenerated(alice, 2);
      await callTool(alice, 'narrative_status', {});
      expect(updates).toEqual(['narrative://me']);
    });
  });

  describe('the user_context prompt', () => {
    it('is listed', async () => {
      const { prompts } = await alice.listPrompts();
      expect(prompts.map((prompt) => prompt.name)).toContain('user_context');
    });

    it("returns one user message containing the user's narrative", async () => {
      await remember(alice, ALICE_FACTS);
      await remember(bob, BOB_FACTS);
      await regenerated(alice, 1);
      const narrative = (await app.repositories.narratives.get(await userId(names.alice)))!;

      const prompt = await alice.getPrompt({ name: 'user_context' });
      expect(prompt.messages).toHaveLength(1);
      expect(prompt.messages[0]!.role).toBe('user');
      expect(prompt.messages[0]!.content).toMatchObject({ type: 'text', text: expect.stringContaining(narrative.narrative_content) });

      const bobs = await bob.getPrompt({ name: 'user_context' });
      const bobText = (bobs.messages[0]!.content as { text: string }).text;
      expect(bobText).toContain(BOB_FACTS[0]);
      expect(bobText).not.toContain('Alice');
    });
  });

  it('shows each client only its own user', async () => {
    await remember(alice, ALICE_FACTS);
    await remember(bob, BOB_FACTS);
    await regenerated(alice, 1);

    const query = 'pastry chef saxophone greyhound marathon bakery';
    const seenByBob = [
      textOf(await callTool(bob, 'orchestrate_smart_context', { user_message: query })),
      textOf(await callTool(bob, 'orchestrate_smart_context', { user_message: query, is_new_conversation: false })),
      textOf(await callTool(bob, 'search_memories', { query })),
      textOf(await callTool(bob, 'list_memories', { limit: 100 })),
      textOf(await callTool(bob, 'narrative_status', {})),
      ((await bob.readResource({ uri: 'narrative://me' })).contents[0] as { text: string }).text,
      ((await bob.getPrompt({ name: 'user_context' })).messages[0]!.content as { text: string }).text,
    ].join('\n');
    expect(seenByBob).not.toMatch(/alice/i);
    expect(seenByBob).toContain(BOB_FACTS[1]);
    expect(structured(await callTool(bob, 'narrative_status', {}))).toMatchObject({ narrative: null, memory_count: 2 });
  });
});
