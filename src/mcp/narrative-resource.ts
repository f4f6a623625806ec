import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { GenerationOutcome } from '../engine/narrative-generator.js';
import { runRequest } from './run-request.js';
import type { ToolContext } from './tool-context.js';

export const NARRATIVE_URI = 'narrative://me';

/**
 * The user's narrative as a resource. With `subscriptions`, a client that subscribes is told each
 * time a new version is written for this session's user; the listener goes when the session closes.
 */
export function registerNarrativeResource(server: McpServer, { engine, logger, resolveUser }: ToolContext, { subscriptions }: { subscriptions: boolean }): void {
  server.registerResource(
    'narrative',
    NARRATIVE_URI,
    {
      title: "The user's narrative",
      description: 'An LLM-written portrait of the user, cached and refreshed in the background.',
      mimeType: 'text/markdown',
    },
    (uri, extra) =>
      runRequest('Reading the narrative', logger, async () => {
        const user = await resolveUser(extra);
        const context = await engine.context.narrativeContext(user.id);
        return { contents: [{ uri: uri.href, mimeType: 'text/markdown', text: context.text }] };
      }),
  );
  if (!subscriptions) return;

  const subscribedUsers = new Set<string>();
  server.server.registerCapabilities({ resources: { subscribe: true } });
  server.server.setRequestHandler(SubscribeRequestSchema, (request, extra) =>
    runRequest('Subscribing', logger, async () => {
      if (request.params.uri === NARRATIVE_URI) subscribedUsers.add((await resolveUser(extra)).id);
      return {};
    }),
  );
  server.server.setRequestHandler(UnsubscribeRequestSchema, (request, extra) =>
    runRequest('Unsubscribing', logger, async () => {
      if (request.params.uri === NARRATIVE_URI) subscribedUsers.delete((await resolveUser(extra)).id);
      return {};
    }),
  );

  const onFinished = (userId: string, outcome: GenerationOutcome) => {
    if (outcome.status !== 'written' || !subscribedUsers.has(userId)) return;
    server.server
      .sendResourceUpdated({ uri: NARRATIVE_URI })
      .catch((error: unknown) => logger.debug({ err: error }, 'could not notify a resource subscriber'));
  };
  engine.runner.on('finished', onFinished);
  const previousOnClose = server.server.onclose;
  server.server.onclose = () => {
    engine.runner.off('finished', onFinished);
    previousOnClose?.();
  };
}
