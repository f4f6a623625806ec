import { describe, expect, it } from 'vitest';
import { RepositorySet } from '../../src/repositories/repository-set.js';
import { DATABASES, openTestDatabase } from '../support/test-databases.js';

describe.each(DATABASES)('the health check on %s', (kind) => {
  it('answers while the database is open, and rejects once it is closed', async () => {
    const handle = await openTestDatabase(kind);
    const { health } = new RepositorySet(handle.db);
    await expect(health.ping()).resolves.toBeUndefined();
    await handle.close();
    await expect(health.ping()).rejects.toThrow();
  });
});
