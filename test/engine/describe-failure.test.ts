import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/engine/describe-failure.js';
import { LlmError } from '../../src/llm/llm-error.js';
import type { LlmOutput, NarrativeRequest } from '../../src/llm/llm-provider.js';
import { capturedLogger } from '../support/captured-logger.js';
import { ControlledProvider } from '../support/controlled-provider.js';
import { startHostedServer, type HostedServer, type HostedUser } from '../support/hosted-server.js';
import { internalsIn } from '../support/internals-in.js';
import { callTool, textOf } from '../support/mcp-test-client.js';
import { DATABASES } from '../support/test-databases.js';

const FACTS = ['Noor fixes clocks.', 'Noor has a sister in Cairo.', 'Noor swims at dawn.', 'Noor reads Borges.', 'Noor keeps bees.'];
const REFERENCE = /^an internal error; reference ([0-9a-f-]{36})$/;

/** Says it built the narrative from a memory id that is no UUID, so storing the narrative fails in SQL. */
class MisquotingProvider extends ControlledProvider {
  override async writeNarrative(request: NarrativeRequest): Promise<LlmOutput> {
    return { ...(await super.writeNarrative(request)), memoryIds: ['not-a-uuid'] };
  }
}

describe('describing a failure for the user', () => {
  it("keeps an LLM error's own kind and message", () => {
    expect(describeFailure(new LlmError('rate_limited', 'Gemini answered 429'))).toEqual({ kind: 'rate_limited', message: 'Gemini answered 429' });
  });

  it('says the database was unavailable for a cancelled statement, without its text', () => {
    const timeout = Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' });
    expect(describeFailure(timeout)).toEqual({ kind: 'database_unavailable', message: 'the database was unavailable' });
  });
});

describe.each(DATABASES)('a generation that fails inside the database, seen by the user on %s', (kind) => {
  let hosted: HostedServer;
  let user: HostedUser;
  let log: ReturnType<typeof capturedLogger>;

  beforeEach(async () => {
    log = capturedLogger('info');
    hosted = await startHostedServer(kind, {}, { provider: new MisquotingProvider(), logger: log.logger });
    user = await hosted.addUser('noor', FACTS);
  });
  afterEach(() => hosted.close());

  it('shows a kind and a reference in narrative_status over MCP and REST, never the SQL error, which the log has under that reference', async () => {
    expect(await hosted.app.engine.runner.request(user.id, 'miss').done).toMatchObject({ status: 'failed', kind: 'internal', message: expect.stringMatching(REFERENCE) });

    const client = await hosted.mcpClient(user.key);
    const tool = await callTool(client, 'narrative_status', {});
    const rest = (await (await hosted.fetch('/api/v1/memories/narrative/status', {}, user.key)).json()) as { last_failure: unknown };
    for (const shown of [JSON.stringify(tool.structuredContent), textOf(tool), JSON.stringify(rest)]) {
      expect(internalsIn(shown)).toBeUndefined();
      expect(shown).not.toContain('not-a-uuid');
    }
    const failure = (tool.structuredContent as { last_failure: { kind: string; message: string } }).last_failure;
    expect(failure).toMatchObject({ kind: 'internal', message: expect.stringMatching(REFERENCE) });
    expect(rest.last_failure).toMatchObject(failure);

    const reference = REFERENCE.exec(failure.message)![1];
    const logged = log.lines.find((line) => line.reference === reference);
    expect(logged).toMatchObject({ userId: user.id, kind: 'internal', err: { message: expect.stringContaining('not-a-uuid') } });
  });
});
