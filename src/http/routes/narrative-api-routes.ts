import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { emptyExportSummary } from '../../engine/export-memories.js';
import type { NarrativeEngine } from '../../engine/narrative-engine.js';
import { expiresAtSchema, ttlDaysSchema } from '../../memories/memory-expiry.js';
import { memoryContentSchema, memoryMetadataSchema } from '../../memories/memory-input.js';
import type { MemoryUpdateRefusal } from '../../memories/memory-update.js';
import { toMemoryOutput } from '../../mcp/tools/memory-output.js';
import type { CreatedRange } from '../../repositories/memory-repository.js';
import { describeZodError } from '../../validation/describe-zod-error.js';
import { ownerOfRequest } from '../request-user.js';
import { sendError } from '../send-error.js';

const updateBody = z
  .object(
    { content: z.unknown().optional(), metadata: z.unknown().optional(), expires_at: z.unknown().optional(), ttl_days: z.unknown().optional() },
    { error: 'the body must be a JSON object' },
  )
  .refine((body) => Object.values(body).some((value) => value !== undefined), {
    error: 'give content, metadata, a new expiry (expires_at, or null for none, or ttl_days), or several',
  });

/** The status and error code of a refused correction: what is not the user's is not found. */
const UPDATE_REFUSAL_STATUS: Record<MemoryUpdateRefusal, [number, string]> = {
  invalid_id: [404, 'not_found'],
  not_found: [404, 'not_found'],
  deleted: [404, 'not_found'],
  expired: [404, 'not_found'],
  repeated_id: [400, 'invalid_request'],
  nothing_to_update: [400, 'invalid_request'],
  invalid_content: [400, 'invalid_request'],
  invalid_metadata: [400, 'invalid_request'],
  invalid_expiry: [400, 'invalid_request'],
  duplicate: [409, 'duplicate'],
};

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(500).optional(),
});

const searchQuery = z.object({
  q: z
    .string({ error: 'q is missing: give the words to search for' })
    .trim()
    .min(1, { error: 'q is empty: give the words to search for' })
    .max(1_000, { error: 'q is longer than 1000 characters' }),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});

/** A day (`2025-05-01`, in UTC) or an instant with its offset (`2025-05-01T08:00:00+02:00`), from year 1. */
const dateOrInstant = z
  .union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'give a date (2025-05-01) or a date-time with its offset (2025-05-01T08:00:00Z or …+02:00)',
  })
  .refine((text) => !text.startsWith('0000'), { error: 'the year must be 1 or later' });

const DAY_MS = 86_400_000;

/**
 * `from` and `to` as a range of creation times, both ends included: a date is the whole UTC day
 * (`to=2025-05-01` reaches the end of that day), a date-time that instant, to the millisecond
 * (the precision memories are stored with).
 */
const createdQuery = z
  .object({ from: dateOrInstant.optional(), to: dateOrInstant.optional() })
  .transform(({ from, to }, ctx): { range: CreatedRange | undefined } => {
    const first = from === undefined ? undefined : Date.parse(isDay(from) ? `${from}T00:00:00Z` : from);
    const last = to === undefined ? undefined : isDay(to) ? Date.parse(`${to}T00:00:00Z`) + DAY_MS - 1 : Date.parse(to);
    if (first !== undefined && last !== undefined && first > last) {
      ctx.addIssue({ code: 'custom', message: `from (${from}) is after to (${to}): give the earlier one as from` });
      return z.NEVER;
    }
    if (first === undefined && last === undefined) return { range: undefined };
    return {
      range: { ...(first === undefined ? {} : { from: new Date(first) }), ...(last === undefined ? {} : { before: new Date(last + 1) }) },
    };
  });

function isDay(text: string): boolean {
  return text.length === 10;
}

/** The REST API of the dashboard and other HTTP clients, under `/api/v1`, always for the key's owner. */
export function narrativeApiRoutes(engine: NarrativeEngine): Router {
  const router = Router();
  const addBody = z.object({
    memories: z
      .array(
        z.object({
          content: memoryContentSchema(engine.memories.maxMemoryChars),
          metadata: memoryMetadataSchema.optional(),
          expires_at: expiresAtSchema.optional(),
          ttl_days: ttlDaysSchema.optional(),
        }),
      )
      .min(1)
      .max(100),
  });

  router.get('/memories/narrative', async (req, res) => {
    const cached = await engine.context.cachedNarrative(ownerOfRequest(req).id);
    if (!cached.narrative) {
      // Not generated yet: generation is scheduled when the user is eligible (see /status).
      res.status(204).end();
      return;
    }
    const { narrative, assessment } = cached;
    res.json({
      narrative: narrative.narrative_content,
      version: narrative.version,
      generated_at: narrative.generated_at.toISOString(),
      stale: assessment.state === 'stale',
      stale_reasons: assessment.state === 'stale' ? assessment.reasons : [],
    });
  });

  router.post('/memories/narrative/regenerate', async (req, res) => {
    const answer = await engine.regeneration.regenerate(ownerOfRequest(req).id);
    if (answer.state === 'rate_limited') {
      sendError(res, 429, 'rate_limited', `Too many regenerations; try again after ${answer.retry_at}.`, {
        'Retry-After': String(answer.retry_after_seconds),
      });
    } else if (answer.state === 'not_eligible') {
      sendError(res, 409, 'not_eligible', `A narrative needs ${answer.min_memories} memories; this user has ${answer.memory_count}.`);
    } else {
      res.status(202).json(answer);
    }
  });

  router.get('/memories/narrative/status', async (req, res) => {
    res.json(await engine.status.status(ownerOfRequest(req).id));
  });

  router.get('/memories', async (req, res) => {
    const query = parse(listQuery, req.query, res);
    const created = query && parse(createdQuery, req.query, res);
    if (!query || !created) return;
    const userId = ownerOfRequest(req).id;
    const [page, total] = await Promise.all([
      engine.memories.list(userId, query.limit, query.cursor, created.range),
      engine.memories.count(userId, created.range),
    ]);
    res.json({ memories: page.memories.map(toMemoryOutput), next_cursor: page.nextCursor, total });
  });

  router.get('/memories/search', async (req, res) => {
    const query = parse(searchQuery, req.query, res);
    const created = query && parse(createdQuery, req.query, res);
    if (!query || !created) return;
    // A person searching their memories finds what they wrote: words, not meaning.
    const found = await engine.memories.search(ownerOfRequest(req).id, query.q, query.limit, { ...(created.range ? { created: created.range } : {}), byMeaning: false });
    res.json({ memories: found.map((memory) => ({ ...toMemoryOutput(memory), score: memory.score })) });
  });

  // The key's user only, streamed: the lines are written as the pages are read, so a user with any
  // number of memories is exported in constant memory, and a client that stops reading pauses it.
  router.get('/memories/export', async (req, res) => {
    const owner = ownerOfRequest(req);
    res.type('application/x-ndjson').set('Content-Disposition', 'attachment; filename="memories.jsonl"');
    await pipeline(Readable.from(engine.memories.exportLines({ users: [owner.externalId] }, emptyExportSummary())), res);
  });

  router.post('/memories', async (req, res) => {
    const body = parse(addBody, req.body, res);
    if (!body) return;
    const result = await engine.memories.add(ownerOfRequest(req).id, body.memories, 'http');
    res.status(201).json({
      added: result.added.map(toMemoryOutput),
      duplicates: result.duplicates,
      total_memories: result.totalMemories,
    });
  });

  router.patch('/memories/:id', async (req, res) => {
    const body = parse(updateBody, req.body, res);
    if (!body) return;
    const result = await engine.memories.update(ownerOfRequest(req).id, [{ id: req.params.id, ...body }]);
    if (!result.ok) {
      const refused = result.errors[0]!;
      const [status, code] = UPDATE_REFUSAL_STATUS[refused.reason];
      const unknown = refused.reason === 'invalid_id' || refused.reason === 'not_found';
      sendError(res, status, code, unknown ? 'No memory with this id.' : refused.message);
      return;
    }
    res.json({ memory: toMemoryOutput(result.updated[0]!), narrative_regenerating: result.narrativeInvalidated });
  });

  router.delete('/memories/:id', async (req, res) => {
    const id = z.uuid().safeParse(req.params.id);
    if (!id.success) {
      sendError(res, 404, 'not_found', 'No memory with this id.');
      return;
    }
    const result = await engine.memories.delete(ownerOfRequest(req).id, [id.data]);
    if (result.deleted.length === 0) {
      sendError(res, 404, 'not_found', 'No memory with this id.');
      return;
    }
    res.json({ deleted: id.data, narrative_regenerating: result.narrativeInvalidated });
  });

  return router;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, res: Response): T | undefined {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  sendError(res, 400, 'invalid_request', describeZodError(result.error));
  return undefined;
}
