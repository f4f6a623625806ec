import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHostedServer, type HostedServer, type HostedUser } from '../support/hosted-server.js';
import { DATABASES } from '../support/test-databases.js';

interface ListedMemory {
  id: string;
  content: string;
  created_at: string;
  score?: number;
}
interface Page {
  memories: ListedMemory[];
  next_cursor: string | null;
  total: number;
}

/** Alice's memories, oldest first, around the first days of May 2025 (UTC). */
const ALICE: Array<[string, string]> = [
  ['2025-04-30T23:59:59.999Z', 'Alice planted tomatoes in her garden.'],
  ['2025-05-01T00:00:00.000Z', 'Alice bought a greenhouse for the garden.'],
  ['2025-05-01T12:00:00.000Z', 'Alice plays the cello in a quartet.'],
  ['2025-05-01T12:00:00.000Z', 'Alice keeps bees at the end of the garden.'],
  ['2025-05-01T12:00:00.000Z', 'Alice reads poetry on Sunday mornings.'],
  ['2025-05-02T23:59:59.999Z', 'Alice repaired the garden fence.'],
  ['2025-05-03T00:00:00.000Z', 'Alice flew to Porto for a garden festival.'],
];
/** Bob has fewer memories than the hot tier holds per user, so his searches are ranked in process; Alice's in SQL. */
const BOB: Array<[string, string]> = [
  ['2025-05-01T09:00:00.000Z', 'Bob grows pumpkins in his garden.'],
  ['2025-05-02T09:00:00.000Z', 'Bob built a garden shed.'],
  ['2025-05-04T09:00:00.000Z', 'Bob sold his garden tools.'],
];

describe.each(DATABASES)('searching and filtering memories by date over REST on %s', (kind) => {
  let hosted: HostedServer;
  let alice: HostedUser;
  let bob: HostedUser;

  async function get<T>(path: string, user: HostedUser = alice): Promise<T> {
    const response = await hosted.fetch(path, {}, user.key);
    expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
    return (await response.json()) as T;
  }

  async function refused(path: string): Promise<string> {
    const response = await hosted.fetch(path, {}, alice.key);
    expect(response.status, path).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_request');
    return body.error.message;
  }

  /** Every page of the list at this query, following the cursor `limit` at a time (from `cursor`, when given). */
  async function allPages(query: string, limit: number, cursor: string | null = null): Promise<ListedMemory[]> {
    const seen: ListedMemory[] = [];
    do {
      const page: Page = await get(`/api/v1/memories?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.memories);
      cursor = page.next_cursor;
    } while (cursor);
    return seen;
  }

  beforeAll(async () => {
    hosted = await startHostedServer(kind, { HTTP_RATE_LIMIT_PER_MINUTE: '100000', HOT_TIER_MAX_USER_MEMORIES: '3' });
    alice = await hosted.addUser('alice');
    bob = await hosted.addUser('bob');
    for (const [user, facts] of [[alice, ALICE], [bob, BOB]] as const) {
      await hosted.app.engine.memories.add(user.id, facts.map(([at, content]) => ({ content, created_at: new Date(at) })), 'test');
    }
  });
  afterAll(async () => {
    await hosted?.close();
  });

  it('lists the memories created from one day to another, both days whole (UTC), with how many there are', async () => {
    const page = await get<Page>('/api/v1/memories?from=2025-05-01&to=2025-05-02');
    expect(page.memories.map((memory) => memory.content)).toEqual([ALICE[5]![1], ALICE[4]![1], ALICE[3]![1], ALICE[2]![1], ALICE[1]![1]]);
    expect(page.total).toBe(5);
    expect((await get<Page>('/api/v1/memories')).total).toBe(ALICE.length);
    expect((await get<Page>('/api/v1/memories?from=2025-05-02')).total).toBe(2);
    expect((await get<Page>('/api/v1/memories?to=2025-04-30')).memories.map((memory) => memory.content)).toEqual([ALICE[0]![1]]);
    expect((await get<Page>('/api/v1/memories?from=2025-05-03&to=2025-05-03')).total).toBe(1);
    expect((await get<Page>('/api/v1/memories?from=2026-01-01')).memories).toEqual([]);
  });

  it('takes date-times with their offset as instants, both ends included', async () => {
    // 02:00 in UTC+2 is midnight UTC: the greenhouse, not the tomatoes.
    const page = await get<Page>('/api/v1/memories?from=2025-05-01T02:00:00%2B02:00&to=2025-05-01T12:00:00Z');
    expect(page.memories.map((memory) => memory.content)).toEqual([ALICE[4]![1], ALICE[3]![1], ALICE[2]![1], ALICE[1]![1]]);
    expect(page.total).toBe(4);
  });

  it('pages through a range with the cursor, every memory once, ties in the order they were stored', async () => {
    const expected = ALICE.slice(1, 6).reverse().map(([, content]) => content);
    for (const limit of [1, 2, 3]) {
      expect((await allPages('&from=2025-05-01&to=2025-05-02', limit)).map((memory) => memory.content)).toEqual(expected);
    }
  });

  it('neither repeats nor skips a memory when memories are added or deleted between pages', async () => {
    const first = await get<Page>('/api/v1/memories?limit=2&from=2025-05-01&to=2025-05-02');
    expect(first.memories.map((memory) => memory.content)).toEqual([ALICE[5]![1], ALICE[4]![1]]);
    const engine = hosted.app.engine.memories;
    const all = (await get<Page>('/api/v1/memories?limit=100')).memories;
    const byText = (text: string) => all.find((memory) => memory.content === text)!.id;
    // The last memory shown and one not yet shown are deleted; one is added inside the range, one now.
    await engine.delete(alice.id, [byText(ALICE[4]![1]), byText(ALICE[2]![1])]);
    const added = await engine.add(
      alice.id,
      [
        { content: 'Alice joined a choir.', created_at: new Date('2025-05-02T08:00:00Z') },
        { content: 'Alice moved her beehives.' },
      ],
      'test',
    );
    const rest = await allPages('&from=2025-05-01&to=2025-05-02', 1, first.next_cursor);
    expect(rest.map((memory) => memory.content)).toEqual([ALICE[3]![1], ALICE[1]![1]]);
    expect((await get<Page>('/api/v1/memories?limit=1&from=2025-05-01&to=2025-05-02')).total).toBe(4);

    // Put things back as they were for the tests after this one.
    await engine.delete(alice.id, added.added.map((memory) => memory.id));
    await engine.add(alice.id, [ALICE[4]!, ALICE[2]!].map(([at, content]) => ({ content, created_at: new Date(at) })), 'test');
  });

  it('searches the key user’s memories, best first, with scores, never another user’s', async () => {
    const { memories } = await get<Page>('/api/v1/memories/search?q=garden&limit=100');
    expect(memories.length).toBe(5);
    expect(memories.every((memory) => memory.content.startsWith('Alice') && memory.content.includes('garden'))).toBe(true);
    const scores = memories.map((memory) => memory.score!);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(memories[0]).toEqual({
      id: expect.any(String),
      content: expect.any(String),
      created_at: expect.stringMatching(/^2025-/),
      updated_at: null,
      expires_at: null,
      metadata: {},
      score: expect.any(Number),
    });
    expect((await get<Page>('/api/v1/memories/search?q=garden&limit=2')).memories).toHaveLength(2);
    expect((await get<Page>('/api/v1/memories/search?q=pumpkins')).memories).toEqual([]);

    const bobs = await get<Page>('/api/v1/memories/search?q=garden', bob);
    expect(bobs.memories.map((memory) => memory.content).sort()).toEqual(BOB.map(([, content]) => content).sort());
  });

  it('searches within a date range, in SQL and in process alike', async () => {
    const inRange = (await get<Page>('/api/v1/memories/search?q=garden&limit=100&from=2025-05-01&to=2025-05-02')).memories;
    expect(inRange.map((memory) => memory.content).sort()).toEqual([ALICE[1]![1], ALICE[3]![1], ALICE[5]![1]].sort());
    const limited = (await get<Page>('/api/v1/memories/search?q=garden&limit=1&from=2025-05-03')).memories;
    expect(limited.map((memory) => memory.content)).toEqual([ALICE[6]![1]]);

    const bobs = (await get<Page>('/api/v1/memories/search?q=garden&limit=1&to=2025-05-01', bob)).memories;
    expect(bobs.map((memory) => memory.content)).toEqual([BOB[0]![1]]);
    const later = (await get<Page>('/api/v1/memories/search?q=garden&from=2025-05-02T00:00:00Z&to=2025-05-03', bob)).memories;
    expect(later.map((memory) => memory.content)).toEqual([BOB[1]![1]]);
  });

  it('answers 400 with a message a person can act on for a bad date, a reversed range, or a bad search', async () => {
    for (const route of ['/api/v1/memories?', '/api/v1/memories/search?q=garden&']) {
      expect(await refused(`${route}from=yesterday`)).toMatch(/^from: give a date \(2025-05-01\) or a date-time/);
      expect(await refused(`${route}to=2025-02-30`)).toMatch(/^to: give a date/);
      expect(await refused(`${route}to=2025-05-01T08:00:00`)).toMatch(/^to: give a date/);
      expect(await refused(`${route}from=0000-01-01`)).toMatch(/^from: the year must be 1 or later/);
      expect(await refused(`${route}from=2025-05-03&to=2025-05-01`)).toBe('from (2025-05-03) is after to (2025-05-01): give the earlier one as from');
      expect(await refused(`${route}from=2025-05-01T12:00:00Z&to=2025-05-01T11:00:00Z`)).toMatch(/is after to/);
    }
    expect(await refused('/api/v1/memories/search')).toMatch(/^q: q is missing/);
    expect(await refused('/api/v1/memories/search?q=%20%20')).toMatch(/^q: q is empty/);
    expect(await refused(`/api/v1/memories/search?q=${'a'.repeat(1001)}`)).toMatch(/longer than 1000/);
    expect(await refused('/api/v1/memories/search?q=garden&limit=0')).toMatch(/^limit:/);
    expect(await refused('/api/v1/memories/search?q=garden&limit=101')).toMatch(/^limit:/);
    expect((await hosted.fetch('/api/v1/memories/search?q=garden')).status).toBe(401);
  });
});
