import { Readable } from 'node:stream';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/app.js';
import { DAY_MS, HOUR_MS } from '../../src/clock/durations.js';
import { emptyExportSummary, exportLines, type ExportSummary } from '../../src/engine/export-memories.js';
import { importMemories, type ImportSummary } from '../../src/engine/import-memories.js';
import { contentHash } from '../../src/memories/memory-input.js';
import { RepositorySet } from '../../src/repositories/repository-set.js';
import { startHostedServer, type HostedServer } from '../support/hosted-server.js';
import { ManualClock } from '../support/manual-clock.js';
import { openTestApp } from '../support/test-app.js';
import { DATABASES } from '../support/test-databases.js';

const ANA = [
  'Ana restores old pianos in a workshop in Porto.',
  'Ana has a twin brother called Rui who is a surgeon.',
  'Ana sings in a choir on Thursday evenings.',
  'Ana is saving up for a trip to Japan.',
  'Ana adopted a grey cat called Fumo.',
  'Ana learned to sail last summer.',
];
const BEN = ['Ben builds furniture from reclaimed wood.', 'Ben lives on a boat.', 'Ben teaches chess to children.', 'Ben grows chillies.', 'Ben is afraid of heights.'];

/** Everything an export writes, and what it counted. */
async function exported(lines: AsyncIterable<string>, summary: ExportSummary): Promise<{ text: string; summary: ExportSummary }> {
  let text = '';
  for await (const line of lines) text += line;
  return { text, summary };
}

async function exportAll(app: App, options: { users?: string[]; pageSize?: number } = {}) {
  const summary = emptyExportSummary();
  return exported(app.engine.memories.exportLines(options, summary), summary);
}

async function importText(app: App, text: string, clock: ManualClock): Promise<ImportSummary> {
  return importMemories(app.repositories, Readable.from([text]), { maxChars: 10_000, batchSize: 4, clock });
}

describe.each(DATABASES)('exporting memories on %s', (kind) => {
  const clock = new ManualClock(new Date('2026-06-01T08:00:00Z'));
  let source: App;
  let target: App;

  beforeAll(async () => {
    [source, target] = await Promise.all([openTestApp(kind, {}, { clock }), openTestApp(kind, {}, { clock })]);
    const ana = await source.repositories.users.getOrCreate('ana');
    const ben = await source.repositories.users.getOrCreate('ben');
    const cy = await source.repositories.users.getOrCreate('cy');
    await source.engine.memories.add(ana.id, ANA.map((content, day) => ({ content, created_at: new Date(Date.UTC(2026, 4, 1 + day)), metadata: { day, tags: ['a', 'b'] } })), 'mcp');
    await source.engine.memories.add(ana.id, [{ content: 'Ana is in Lisbon until Friday.', expires_at: new Date(clock.now() + 3 * DAY_MS) }], 'http');
    await source.engine.runner.request(ana.id, 'miss').done;

    const benMemories = (await source.engine.memories.add(ben.id, BEN.map((content) => ({ content })), 'mcp')).added;
    await source.engine.runner.request(ben.id, 'miss').done;
    await source.engine.memories.delete(ben.id, [benMemories[0]!.id]);
    await source.engine.runner.onIdle();
    // Ben's narrative is rewritten without the deleted memory; this deletion outdates it again and no rewrite follows.
    await source.engine.memories.delete(ben.id, [benMemories[1]!.id]);

    // Two memories of the same moment, told through different surfaces, and one that expires before the export.
    const sameMoment = new Date('2026-05-20T10:00:00Z');
    await source.engine.memories.add(cy.id, [{ content: 'Cy keeps bees.', created_at: sameMoment, metadata: { z: 1, a: { nested: [1, 'two'] } } }], 'mcp');
    await source.engine.memories.add(cy.id, [{ content: 'Cy collects maps.', created_at: sameMoment }], 'http');
    await source.engine.memories.add(cy.id, [{ content: 'Cy has a cold.', ttl_days: 1 / 24 }], 'mcp');
    await source.engine.runner.onIdle();
    await clock.advance(2 * HOUR_MS);
  });
  afterAll(() => Promise.all([source.close({ graceMs: 0 }), target.close({ graceMs: 0 })]));

  it('writes the import format, oldest first, with the current narrative after its memories and nothing forgotten', async () => {
    const { text, summary } = await exportAll(source, { pageSize: 3 });
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(summary).toEqual({ users: 3, memories: ANA.length + 1 + BEN.length - 2 + 2, narratives: 1, narrativesLeftOut: 1 });
    expect(lines[0]).toEqual({ user: 'ana', content: ANA[0], created_at: '2026-05-01T00:00:00.000Z', metadata: { day: 0, tags: ['a', 'b'] }, source: 'mcp' });
    expect(lines[ANA.length]).toMatchObject({ user: 'ana', content: 'Ana is in Lisbon until Friday.', source: 'http', expires_at: '2026-06-04T08:00:00.000Z' });
    const narrative = lines[ANA.length + 1]!;
    const stored = (await source.repositories.narratives.get((await source.repositories.users.findByExternalId('ana'))!.id))!;
    expect(narrative).toMatchObject({
      kind: 'narrative',
      user: 'ana',
      narrative: stored.narrative_content,
      version: stored.version,
      generated_at: stored.generated_at.toISOString(),
      provider: 'offline',
    });
    expect((narrative.built_from as string[]).length).toBe(stored.source_memory_ids.length);
    expect(lines.filter((line) => line.kind === 'narrative').map((line) => line.user)).toEqual(['ana']);
    const contents = lines.map((line) => line.content);
    expect(contents).not.toContain(BEN[0]);
    expect(contents).not.toContain(BEN[1]);
    expect(contents).not.toContain('Cy has a cold.');
  });

  it("exports only the users asked for, never another user's memory", async () => {
    const { text } = await exportAll(source, { users: ['cy'] });
    expect(text.trimEnd().split('\n').map((line) => (JSON.parse(line) as { user: string }).user)).toEqual(['cy', 'cy']);
    await expect(exportAll(source, { users: ['nobody'] })).rejects.toThrow('no user "nobody" to export');
  });

  it('exports the same bytes again after an import into an empty database, narrative included with its version and date', async () => {
    const first = await exportAll(source);
    const imported = await importText(target, first.text, clock);
    expect(imported).toMatchObject({ problems: [], narrativesRestored: 1, narrativesSkipped: 0, expired: 0, usersCreated: 3 });
    const second = await exportAll(target);
    expect(second.text).toBe(first.text);

    const anaBefore = (await source.repositories.narratives.get((await source.repositories.users.findByExternalId('ana'))!.id))!;
    const anaId = (await target.repositories.users.findByExternalId('ana'))!.id;
    const restored = (await target.repositories.narratives.get(anaId))!;
    expect(restored).toMatchObject({ version: anaBefore.version, generated_at: anaBefore.generated_at, narrative_content: anaBefore.narrative_content });
    expect((await target.engine.context.orchestrate(anaId, 'pianos')).source).toBe('cache');

    // Again: the narrative is not restored over the one the user has, and nothing is added twice.
    expect(await importText(target, first.text, clock)).toMatchObject({ added: 0, narrativesRestored: 0, narrativesSkipped: 1 });
  });

  it('skips a narrative whose memories are not all among the user\'s, and refuses a line of another kind', async () => {
    const narrative = { kind: 'narrative', user: 'hal', narrative: 'Hal sails.', version: 3, generated_at: '2026-05-01T00:00:00.000Z', provider: 'offline', model: 'offline' };
    const text = [
      { user: 'hal', content: 'Hal sails.' },
      { ...narrative, built_from: [contentHash('Hal sails.'), contentHash('Hal was in Rome.')] },
      { kind: 'diary', user: 'hal', narrative: 'Dear diary.' },
    ]
      .map((line) => `${JSON.stringify(line)}\n`)
      .join('');
    const summary = await importText(target, text, clock);
    expect(summary).toMatchObject({ added: 1, narrativesRestored: 0, narrativesSkipped: 1 });
    expect(summary.problems).toEqual([{ line: 3, message: 'kind must be "narrative" or absent (a memory)' }]);
    expect(await target.repositories.narratives.get((await target.repositories.users.findByExternalId('hal'))!.id)).toBeUndefined();

    const whole = await importText(target, `${JSON.stringify({ ...narrative, built_from: [contentHash('Hal sails.')] })}\n`, clock);
    expect(whole).toMatchObject({ narrativesRestored: 1 });
  });

  it('reads a user a page at a time, each page at most the page size, whatever the number of memories', async () => {
    const many = await source.repositories.users.getOrCreate('many');
    await source.repositories.memories.addMany(many.id, Array.from({ length: 95 }, (_, n) => ({ content: `Fact number ${n}.` })), 'test');
    const pages = new MemoryPages();
    const repositories = new RepositorySet(source.database.db.withPlugin(pages), clock);
    const summary = emptyExportSummary();
    const { text } = await exported(exportLines(repositories, { users: ['many'], clock, pageSize: 10 }, summary), summary);
    expect(text.trimEnd().split('\n')).toHaveLength(95);
    expect(pages.rows).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
  });
});

describe.each(DATABASES)('GET /api/v1/memories/export on %s', (kind) => {
  let hosted: HostedServer;
  beforeAll(async () => {
    hosted = await startHostedServer(kind, {});
  });
  afterAll(() => hosted.close());

  it("streams the key's user's memories as JSON Lines, and no one else's", async () => {
    const dora = await hosted.addUser('dora', ['Dora flies gliders.']);
    await hosted.addUser('eli', ['Eli brews beer.']);
    await hosted.app.repositories.memories.addMany(dora.id, Array.from({ length: 3_000 }, (_, n) => ({ content: `Dora fact ${n}.` })), 'test');

    const response = await hosted.fetch('/api/v1/memories/export', {}, dora.key);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    expect(response.headers.get('content-length')).toBeNull();
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let chunks = 0;
    let text = '';
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      chunks += 1;
      text += read.value;
    }
    const users = new Set(text.trimEnd().split('\n').map((line) => (JSON.parse(line) as { user: string }).user));
    expect(users).toEqual(new Set(['dora']));
    expect(text.trimEnd().split('\n')).toHaveLength(3_001);
    expect(chunks).toBeGreaterThan(1);
    expect((await hosted.fetch('/api/v1/memories/export', {}, null)).status).toBe(401);
  });
});

/** Records how many rows each page of an export read from `memories`. */
class MemoryPages implements KyselyPlugin {
  readonly rows: number[] = [];
  readonly #pages = new WeakSet<object>();

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (JSON.stringify(args.node).includes('"content_hash"') && args.node.kind === 'SelectQueryNode') this.#pages.add(args.queryId);
    return args.node;
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.#pages.has(args.queryId)) this.rows.push(args.result.rows.length);
    return args.result;
  }
}
