/**
 * Soak test: mixed traffic (cache hits, first conversations, adds, searches, regenerations) from
 * many concurrent clients over HTTP against a real `narrative-mcp serve --http` on loopback, with
 * the embedded database (default) or a throw-away database on the DATABASE_URL server.
 *
 *   npm run soak -- [--minutes 10] [--clients 100] [--database pglite|postgres] [--think-ms 1000]
 *                   [--seed locomo|facts] [--only hit|narrative|add|search|miss|regenerate]
 *                   [--node-flags="--heap-prof --heap-prof-dir=/tmp/prof"] [--server-cli OTHER/bin/narrative-mcp.js] [--out FILE]
 *
 * Prints each window (requests, failures, p50/p99, the server's RSS, heap, heap after the last full
 * collection, external memory, hot tier, heap allocated per request) and a summary, writes
 * everything as JSON under bench/results/, and exits 1 unless no request failed, no acknowledged
 * memory was lost and the server's RSS, less what its hot tier grew, grew by less than 10% after
 * the warm-up. `--only` asks one kind of request alone; `--node-flags` (or SOAK_NODE_FLAGS) go to
 * the server's node, to profile it; `--server-cli` serves with another build, to compare two versions. Needs the build (`npm run build`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { runSoak } from './soak/run-soak.js';
import { SOAK_OPERATIONS, type SoakOperation } from './soak/soak-client.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seconds: { type: 'string' },
    clients: { type: 'string', default: '100' },
    database: { type: 'string' },
    'think-ms': { type: 'string', default: '1000' },
    seed: { type: 'string', default: 'locomo' },
    only: { type: 'string' },
    'node-flags': { type: 'string', default: process.env.SOAK_NODE_FLAGS ?? '' },
    'server-cli': { type: 'string' },
    out: { type: 'string' },
  },
});
const seconds = values.seconds === undefined ? positive('--minutes', values.minutes) * 60 : positive('--seconds', values.seconds);
const clients = positive('--clients', values.clients);
const thinkMs = positive('--think-ms', values['think-ms']);
const database = values.database ?? (process.env.DATABASE_URL ? 'postgres' : 'pglite');
if (database !== 'pglite' && database !== 'postgres') fail(`--database must be pglite or postgres; got ${JSON.stringify(database)}`);
if (seconds > 6 * 3600) fail('a soak is bounded to 6 hours');
const seed = values.seed;
if (seed !== 'locomo' && seed !== 'facts') fail(`--seed must be locomo or facts; got ${JSON.stringify(seed)}`);
const only = values.only as SoakOperation | undefined;
if (only !== undefined && !SOAK_OPERATIONS.includes(only)) fail(`--only must be one of ${SOAK_OPERATIONS.join(', ')}; got ${JSON.stringify(only)}`);
const nodeFlags = values['node-flags'].split(/\s+/).filter(Boolean);

function positive(name: string, value: string): number {
  const number = Number(value);
  if (!(number > 0) || !Number.isFinite(number)) fail(`${name} must be a positive number; got ${JSON.stringify(value)}`);
  return number;
}

function fail(message: string): never {
  console.error(`bench/soak: ${message}`);
  process.exit(2);
}

const result = await runSoak({
  seconds,
  clients,
  thinkMs,
  database,
  adminUrl: process.env.DATABASE_URL,
  seed,
  only,
  nodeFlags,
  serverCli: values['server-cli'],
  log: (line) => process.stderr.write(`${line}\n`),
});
const kind = only === undefined ? '' : `-${only}`;
const file = values.out ?? join(import.meta.dirname, 'results', `soak-${database}${kind}-${clients}c-${seconds}s-${result.date.replace(/[:.]/g, '-')}.json`);
await mkdir(dirname(file), { recursive: true });
await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
console.log(
  [
    `soak ${result.passed ? 'passed' : 'FAILED'}: ${clients} clients, ${seconds} s on ${database}${only ? `, ${only} requests only` : ''}`,
    `  memories per regular user ${result.memoriesPerRegular.start} at the start (seed ${seed}), ${result.memoriesPerRegular.end} at the end`,
    `  requests ${result.requests} (${Object.entries(result.operations).map(([operation, count]) => `${operation} ${count}`).join(', ')})`,
    `  failed ${result.failed}${result.failed > 0 ? ` ${JSON.stringify(result.failures)}` : ''}; acknowledged adds ${result.acknowledgedAdds}, lost ${result.dataLost}`,
    `  latency p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms; p99 after warm-up first ${result.p99AfterWarmUpMs.first} ms, last ${result.p99AfterWarmUpMs.last} ms, highest ${result.p99AfterWarmUpMs.max} ms`,
    `  server RSS after warm-up ${result.rssMb.afterWarmUp} MB, at the end ${result.rssMb.end} MB, highest ${result.rssMb.max} MB: ` +
      `growth ${result.rssMb.growthPercent}%, ${result.rssMb.growthNetOfHotTierPercent}% net of the hot tier's (the target: under 10%)`,
    `  hot tier ${result.hotTierMb.afterWarmUp} → ${result.hotTierMb.end} MB (${result.hotTierUsers.afterWarmUp} → ${result.hotTierUsers.end} users); ` +
      `heap after the last full GC ${result.heapAfterGcMb.afterWarmUp} → ${result.heapAfterGcMb.end} MB, heap in use ${result.heapUsedMb.min}–${result.heapUsedMb.max} MB, ` +
      `held from the system ${result.heapTotalMb.afterWarmUp} → ${result.heapTotalMb.end} MB`,
    `  external ${result.externalMb.afterWarmUp} → ${result.externalMb.end} MB; WebAssembly memory resident ${result.wasmRssMb.afterWarmUp} → ${result.wasmRssMb.end} MB`,
    `  per request: heap allocated ${result.allocatedKbPerRequest} kB, server CPU ${result.cpuMsPerRequest} ms; GC pauses ${result.gcPausePercent}% of the time`,
    `  written to ${file}`,
  ].join('\n'),
);
process.exitCode = result.passed ? 0 : 1;
