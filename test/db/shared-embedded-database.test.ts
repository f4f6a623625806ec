import { cp, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/open-database.js';
import { Kysely, PostgresDialect } from 'kysely';
import { systemClock } from '../../src/clock/system-clock.js';
import type { DatabaseSchema } from '../../src/db/database-schema.js';
import { claimOwnership, readOwner } from '../../src/db/local-sharing/owner-election.js';
import { SharedEmbeddedDatabase } from '../../src/db/local-sharing/shared-embedded-database.js';
import { socketPathFor } from '../../src/db/local-sharing/socket-path.js';
import { MemoryRepository } from '../../src/repositories/memory-repository.js';
import type { UserChangeListener } from '../../src/db/user-change-feed.js';
import { ManualClock } from '../support/manual-clock.js';
import { until } from '../support/until.js';

/**
 * Two handles on one data directory in one process: the second is a guest of the first, exactly
 * as a second process would be (they talk over the directory's socket). Separate processes are
 * tested in test/cli/shared-embedded-processes.test.ts.
 */
describe('an embedded data directory opened twice', () => {
  let dataDir: string;
  const open: DatabaseHandle[] = [];

  async function openHandle(): Promise<DatabaseHandle> {
    const handle = await openDatabase({ dataDir, poolSize: 1 });
    open.push(handle);
    return handle;
  }

  async function addUser(handle: DatabaseHandle, externalId: string): Promise<void> {
    await handle.db.insertInto('users').values({ external_id: externalId, display_name: externalId }).execute();
  }

  async function userIds(handle: DatabaseHandle): Promise<string[]> {
    const rows = await handle.db.selectFrom('users').select('external_id').orderBy('external_id').execute();
    return rows.map((row) => row.external_id);
  }

  function recordingListener(): UserChangeListener & { changes: string[]; events: string[] } {
    const changes: string[] = [];
    const events: string[] = [];
    return {
      changes,
      events,
      changed: (userId) => changes.push(userId),
      listening: () => events.push('listening'),
      stopped: () => events.push('stopped'),
    };
  }

  let template: string;

  // A migrated directory made once and copied for each test: PostgreSQL's initdb is the slow part of a new one.
  beforeAll(async () => {
    template = await mkdtemp(join(tmpdir(), 'narrative-mcp-shared-template-'));
    const handle = await openDatabase({ dataDir: template, poolSize: 1 });
    await migrateToLatest(handle.db);
    await handle.close();
  });

  afterAll(() => rm(template, { recursive: true, force: true }));

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'narrative-mcp-shared-'));
    await cp(template, dataDir, { recursive: true });
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((handle) => handle.close()));
    await rm(dataDir, { recursive: true, force: true });
  });

  it('gives up on an owner that takes a connection and never answers, and names it', async () => {
    // What a guest meets when it connects just as the owner is killed: the connection is queued and
    // then neither accepted nor closed. Here a live "owner" that never answers stands for it.
    const ownership = (await claimOwnership(dataDir, (await readOwner(dataDir)).generation + 1))!;
    const socketPath = await socketPathFor(dataDir);
    const taken: Socket[] = [];
    const silent = createServer((socket) => taken.push(socket));
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
    try {
      await expect(SharedEmbeddedDatabase.open({ dataDir, startupWaitMs: 100 })).rejects.toThrow(`owned by process ${process.pid}, which does not answer`);
      expect(taken).toHaveLength(1);
    } finally {
      for (const socket of taken) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
      await ownership.release();
    }
  });

  it('lets the second opening read and write what the first holds', async () => {
    const owner = await openHandle();
    await migrateToLatest(owner.db);
    const guest = await openHandle();
    expect(await migrateToLatest(guest.db)).toEqual([]);

    await addUser(guest, 'written-by-guest');
    await addUser(owner, 'written-by-owner');
    expect(await userIds(owner)).toEqual(['written-by-guest', 'written-by-owner']);
    expect(await userIds(guest)).toEqual(['written-by-guest', 'written-by-owner']);
  });

  it('serves on a socket only this user can open', async () => {
    await openHandle();
    expect((await stat(join(dataDir, 'narrative-mcp.sock'))).mode & 0o777).toBe(0o600);
  });

  it('announces a change made through either to the listeners of both', async () => {
    const owner = await openHandle();
    await migrateToLatest(owner.db);
    const guest = await openHandle();
    const [heardByOwner, heardByGuest] = [recordingListener(), recordingListener()];
    await owner.listenForUserChanges(heardByOwner);
    await guest.listenForUserChanges(heardByGuest);

    await addUser(guest, 'someone');
    const { id } = await owner.db.selectFrom('users').select('id').where('external_id', '=', 'someone').executeTakeFirstOrThrow();
    await new MemoryRepository(owner.db, systemClock).addMany(id, [{ content: 'I live in Lisbon' }], 'test');
    await new MemoryRepository(guest.db, systemClock).addMany(id, [{ content: 'I moved to Berlin' }], 'test');

    await until(() => heardByOwner.changes.length >= 2 && heardByGuest.changes.length >= 2);
    expect(heardByOwner.changes).toEqual([id, id]);
    expect(heardByGuest.changes).toEqual([id, id]);
  });

  it('runs the transactions of both one after the other, never inside each other', async () => {
    const owner = await openHandle();
    await migrateToLatest(owner.db);
    const guest = await openHandle();

    const steps: Array<() => void> = [];
    const next = () => new Promise<void>((resolve) => steps.push(resolve));
    const stepDone: Array<() => void> = [];
    const done = () => new Promise<void>((resolve) => stepDone.push(resolve));
    const inserted = done();
    const answeredAgain = done();
    let read: string[] | undefined;
    const transaction = guest.db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values({ external_id: 'in-transaction', display_name: 'x' }).execute();
      stepDone.shift()!();
      await next();
      await trx.selectFrom('users').select('id').execute();
      stepDone.shift()!();
      await next();
    });
    await inserted;
    const reading = userIds(owner).then((ids) => (read = ids));
    steps.shift()!();
    // The guest's transaction answers a statement while the owner's read still waits its turn.
    await answeredAgain;
    expect(read).toBeUndefined();
    steps.shift()!();
    await transaction;
    await reading;
    expect(read).toEqual(['in-transaction']);
  });

  it('rolls back what a guest left open when it goes', async () => {
    const owner = await openHandle();
    await migrateToLatest(owner.db);
    const guest = await openHandle();

    let inserted!: () => void;
    const insertedRow = new Promise<void>((resolve) => (inserted = resolve));
    const abandoned = guest.db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('users').values({ external_id: 'never-committed', display_name: 'x' }).execute();
        inserted();
        await new Promise(() => undefined);
      })
      .catch(() => undefined);
    await insertedRow;
    void guest.close();
    expect(await userIds(owner)).toEqual([]);
    void abandoned;
  });

  it('takes back a session a guest holds in silence, rolling its transaction back', async () => {
    const clock = new ManualClock();
    const shared = await SharedEmbeddedDatabase.open({ dataDir, clock, idleSessionMs: 30_000 });
    const owner = new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: shared.pool }) });
    try {
      await migrateToLatest(owner);
      const guest = await openHandle();
      let inserted!: () => void;
      const insertedRow = new Promise<void>((resolve) => (inserted = resolve));
      let resume!: () => void;
      const resumed = new Promise<void>((resolve) => (resume = resolve));
      const stalled = guest.db.transaction().execute(async (trx) => {
        await trx.insertInto('users').values({ external_id: 'stalled', display_name: 'x' }).execute();
        inserted();
        await resumed;
        await trx.insertInto('users').values({ external_id: 'after-the-silence', display_name: 'x' }).execute();
      });
      await insertedRow;
      const read = owner.selectFrom('users').select('external_id').execute();
      await until(() => clock.pendingSleeps > 0);
      await clock.advance(30_000);
      expect(await read).toEqual([]);
      resume();
      await expect(stalled).rejects.toMatchObject({ code: 'SESSION_LOST' });
      expect(await owner.selectFrom('users').select('external_id').execute()).toEqual([]);
    } finally {
      await owner.destroy();
      await shared.close();
    }
  });

  it('gives each duty one leader among them, and hands it on when the leader goes', async () => {
    const owner = await openHandle();
    const guest = await openHandle();

    const ownerLeads = await owner.tryLeaderLock('refresh');
    expect(ownerLeads).toBeDefined();
    expect(await guest.tryLeaderLock('refresh')).toBeUndefined();
    await ownerLeads!.release();

    const guestLeads = await guest.tryLeaderLock('refresh');
    expect(guestLeads).toBeDefined();
    expect(await guestLeads!.isHeld()).toBe(true);
    expect(await owner.tryLeaderLock('refresh')).toBeUndefined();
    await guest.close();
    expect(await guestLeads!.isHeld()).toBe(false);
    expect(await owner.tryLeaderLock('refresh')).toBeDefined();
  });

  it('keeps working when the owner closes: the guest takes the directory over, data intact', async () => {
    const owner = await openHandle();
    await migrateToLatest(owner.db);
    const guest = await openHandle();
    const heardByGuest = recordingListener();
    await guest.listenForUserChanges(heardByGuest);
    await addUser(owner, 'before');

    await owner.close();
    await addUser(guest, 'after');
    expect(await userIds(guest)).toEqual(['after', 'before']);
    expect(heardByGuest.events).toEqual(['listening', 'stopped', 'listening']);

    const third = await openHandle();
    expect(await userIds(third)).toEqual(['after', 'before']);
  });

  it('lets a guest finish the transaction it has under way when the owner closes', async () => {
    const owner = await openHandle();
    await migrateToLatest(owner.db);
    const guest = await openHandle();
    let inserted!: () => void;
    const insertedRow = new Promise<void>((resolve) => (inserted = resolve));
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => (resume = resolve));
    const transaction = guest.db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values({ external_id: 'first-half', display_name: 'x' }).execute();
      inserted();
      await resumed;
      await trx.insertInto('users').values({ external_id: 'second-half', display_name: 'x' }).execute();
    });
    await insertedRow;
    const ownerClosing = owner.close();
    resume();
    await transaction;
    await ownerClosing;
    expect(await userIds(guest)).toEqual(['first-half', 'second-half']);
  });

  it('grants a guest the session it was waiting for from the next owner', async () => {
    const owner = await openHandle();
    await migrateToLatest(owner.db);
    const guest = await openHandle();

    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => (finish = resolve));
    let started!: () => void;
    const ownerStarted = new Promise<void>((resolve) => (started = resolve));
    const ownerTransaction = owner.db.transaction().execute(async (trx) => {
      await trx.insertInto('users').values({ external_id: 'owner-committed', display_name: 'x' }).execute();
      started();
      await finishing;
    });
    await ownerStarted;
    const guestWrite = addUser(guest, 'waited-for-the-next-owner');
    const ownerClosing = owner.close();
    finish();
    await ownerTransaction;
    await ownerClosing;
    await guestWrite;
    expect(await userIds(guest)).toEqual(['owner-committed', 'waited-for-the-next-owner']);
  });
});
