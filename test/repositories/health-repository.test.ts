import { describe, expect, it } from 'vitest';
import { HealthRepository } from '../../src/repositories/health-repository.js';
import { DATABASES, openTestDatabase } from '../support/test-databases.js';

describe.each(DATABASES)('the health check on %s', (kind) => {
  it('answers while the database is open, and rejects once it is closed', async () => {
    const handle = await openTestDatabase(kind);
    const health = new HealthRepository(handle.db);
    await expect(health.ping()).resolves.toBeUndefined();
    await handle.close();
    await expect(health.ping()).rejects.toThrow();
  });
});
