import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { describe, expect, it } from 'vitest';
import { IdleServerPool } from '../../src/http/routes/idle-server-pool.js';

const server = () => new McpServer({ name: 'test', version: '0' });

describe('IdleServerPool', () => {
  it("gives a user back one of their own servers, and builds one when they have none", () => {
    const pool = new IdleServerPool();
    const dana = server();
    pool.give('dana', dana);
    const built = server();
    expect(pool.take('eli', () => built)).toBe(built);
    expect(pool.take('dana', server)).toBe(dana);
    expect(pool.size).toBe(0);
    const another = server();
    expect(pool.take('dana', () => another)).toBe(another);
  });

  it('keeps at most its limit, dropping the servers that waited longest', () => {
    const pool = new IdleServerPool(2);
    const [first, second, third] = [server(), server(), server()];
    pool.give('dana', first);
    pool.give('eli', second);
    pool.give('eli', third);
    expect(pool.size).toBe(2);
    const fresh = server();
    expect(pool.take('dana', () => fresh)).toBe(fresh);
    expect(pool.take('eli', server)).toBe(third);
    expect(pool.take('eli', server)).toBe(second);
  });

  it('counts a user whose server came back as the most recently used', () => {
    const pool = new IdleServerPool(3);
    const [dana, eli, dana2, finn] = [server(), server(), server(), server()];
    pool.give('dana', dana);
    pool.give('eli', eli);
    pool.give('dana', dana2);
    pool.give('finn', finn);
    const fresh = server();
    expect(pool.take('eli', () => fresh)).toBe(fresh);
    expect(pool.take('dana', server)).toBe(dana2);
    expect(pool.take('dana', server)).toBe(dana);
    expect(pool.take('finn', server)).toBe(finn);
  });

  it('keeps nothing with a limit of 0', () => {
    const pool = new IdleServerPool(0);
    pool.give('dana', server());
    expect(pool.size).toBe(0);
  });
});
