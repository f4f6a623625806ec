import pino, { type DestinationStream, type Logger } from 'pino';
import type { Config } from '../config/config.js';

/** JSON logs to `destination`, which is stderr: stdout belongs to the MCP stdio transport and to command output. */
export function createLogger(level: Config['LOG_LEVEL'], destination: DestinationStream): Logger {
  return pino(
    {
      name: 'narrative-mcp',
      level,
      redact: { paths: ['key', '*.key', 'authorization', '*.authorization', 'apiKey', '*.apiKey'], censor: '[redacted]' },
    },
    destination,
  );
}
