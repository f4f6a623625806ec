import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { atMost } from '../support/at-most.js';
import type { BenchRun } from '../support/bench-run.js';
import { CLI_PATH } from '../support/cli-path.js';
import { expectSource } from '../support/expect-source.js';
import { summarizeLatencies } from '../support/latency-summary.js';
import { REFERENCE_GRAPH } from '../support/reference-graph.js';
import { repeatPaired } from '../support/repeat-paired.js';
import { repoPath } from '../support/repo-path.js';
import { callSmartContext } from '../support/smart-context-call.js';
import { connectStdio } from '../support/stdio-connection.js';
import { timeMs } from '../support/time-ms.js';
import type { Section } from './section.js';

const REFERENCE_SERVER = repoPath('node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js');

/**
 * Section 2: our cache hit and the MCP reference memory server's `read_graph`, both over stdio with
 * the MCP SDK client, called in alternation (which goes first alternates too), so both see the
 * same machine at the same moment.
 */
export const referenceServerSection: Section = {
  name: 'reference',
  title: 'Against the MCP reference memory server (stdio, pair by pair)',
  async run(context): Promise<BenchRun[]> {
    const fixture = await context.fixture();
    const database = await context.database();
    const user = fixture.hitUser;
    const messages = fixture.data.questionsOf(user);
    const pairs = context.full ? 20_000 : 2_000;
    const warmup = context.full ? 1_000 : 200;
    const dir = await mkdtemp(join(tmpdir(), 'narrative-mcp-bench-reference-'));
    const ours = await connectStdio(process.execPath, [CLI_PATH, 'serve', '--stdio', '--user', user], database.env);
    const theirs = await connectStdio(process.execPath, [REFERENCE_SERVER], { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') });
    try {
      await theirs.client.callTool({ name: 'create_entities', arguments: { entities: REFERENCE_GRAPH.entities } });
      await theirs.client.callTool({ name: 'create_relations', arguments: { relations: REFERENCE_GRAPH.relations } });
      let ourBytes = 0;
      let theirBytes = 0;
      const callOurs = async (index: number) => {
        const { ms, answer } = await callSmartContext(ours.client, messages[index % messages.length]!);
        expectSource('stdio hit (paired)', answer, ['cache']);
        ourBytes = JSON.stringify(answer).length;
        return ms;
      };
      const callTheirs = async () => {
        const { ms, value } = await timeMs(async () => (await theirs.client.callTool({ name: 'read_graph', arguments: {} })) as CallToolResult);
        if (value.isError) throw new Error('bench: the reference server failed read_graph');
        theirBytes = JSON.stringify(value.structuredContent).length;
        return ms;
      };
      const samples = await repeatPaired(warmup, pairs, { ours: callOurs, theirs: callTheirs });
      const ratios = samples.ours.map((ms, index) => ms / samples.theirs[index]!);
      const our = summarizeLatencies(samples.ours);
      const their = summarizeLatencies(samples.theirs);
      const ratio = summarizeLatencies(ratios);
      const params = { pairs, warmup, order: 'alternating', client: 'MCP SDK Client' };
      const setting = `${pairs.toLocaleString('en-US')} pairs after ${warmup} warm-up`;
      const p50Ratio = round(our.p50 / their.p50);
      const p99Ratio = round(our.p99 / their.p99);
      return [
        {
          section: 'reference',
          what: 'ours: orchestrate_smart_context, cache hit',
          database: context.kind,
          transport: 'stdio',
          params: { ...params, user, structuredContentBytes: ourBytes },
          setting,
          ...our,
          figures: {},
          summary: `answer ${ourBytes.toLocaleString('en-US')} B of JSON`,
          targets: [],
        },
        {
          section: 'reference',
          what: 'reference server-memory: read_graph',
          database: 'reference (JSONL file)',
          transport: 'stdio',
          params: {
            ...params,
            graph: `${REFERENCE_GRAPH.entities.length} entities, ${REFERENCE_GRAPH.relations.length} relations`,
            structuredContentBytes: theirBytes,
            pairedWith: context.kind,
          },
          setting: `${setting}, ${REFERENCE_GRAPH.entities.length} entities`,
          ...their,
          figures: {},
          summary: `answer ${theirBytes.toLocaleString('en-US')} B of JSON`,
          targets: [],
        },
        {
          section: 'reference',
          what: 'ratio ours / reference, pair by pair',
          database: context.kind,
          transport: 'stdio',
          params,
          setting,
          unit: 'ratio',
          ...ratio,
          figures: { p50Ratio, p99Ratio, medianPairRatio: ratio.p50 },
          summary: `p50s ${p50Ratio}, p99s ${p99Ratio}; percentiles are of the ${pairs} per-pair ratios`,
          targets: [atMost('ratio of p50s', p50Ratio, 1.2, ''), atMost('ratio of p99s', p99Ratio, 1.2, ''), atMost('median pair ratio', ratio.p50, 1.2, '')],
        },
      ];
    } finally {
      await Promise.allSettled([ours.close(), theirs.close()]);
      await rm(dir, { recursive: true, force: true });
    }
  },
};

function round(value: number): number {
  return Number(value.toFixed(3));
}
