import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { runRequest } from './run-request.js';
import type { ToolContext } from './tool-context.js';

/** A prompt a client can put into a conversation to give the model the user's narrative, without a tool call. */
export function registerUserContextPrompt(server: McpServer, { engine, logger, resolveUser }: ToolContext): void {
  server.registerPrompt(
    'user_context',
    {
      title: 'What you know about me',
      description: "Adds the user's narrative (or, until one exists, their recent memories) to the conversation.",
    },
    (extra) =>
      runRequest('The user_context prompt', logger, async () => {
        const user = await resolveUser(extra);
        const context = await engine.context.narrativeContext(user.id);
        return {
          description: `Context about the user (${context.source})`,
          messages: [
            {
              role: 'user' as const,
              content: {
                type: 'text' as const,
                text: `Here is what you know about me from earlier conversations. Use it where it helps; it is background, not a request.\n\n${context.text}`,
              },
            },
          ],
        };
      }),
  );
}
