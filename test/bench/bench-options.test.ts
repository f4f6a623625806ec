import { describe, expect, it } from 'vitest';
import { parseBenchOptions } from '../../bench/support/bench-options.js';

describe('parseBenchOptions', () => {
  it('runs every section, quick, on the databases that answer, by default', () => {
    expect(parseBenchOptions([])).toMatchObject({ full: false, only: null, database: null, markdown: false });
  });

  it('keeps the sections named with --only in run order', () => {
    expect(parseBenchOptions(['--only', 'backfill,hit', '--database', 'postgres', '--full'])).toMatchObject({
      full: true,
      only: ['hit', 'backfill'],
      database: 'postgres',
    });
  });

  it('names the sections there are when --only names another', () => {
    expect(() => parseBenchOptions(['--only', 'hits'])).toThrow(/unknown section hits; the sections are hit, reference/);
  });

  it('refuses a database it does not know', () => {
    expect(() => parseBenchOptions(['--database', 'mysql'])).toThrow(/--database must be pglite, postgres or both/);
  });
});
