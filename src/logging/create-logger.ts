import pino, { type Logger } from 'pino';
import type { Config } from '../config/config.js';

/** JSON logs on stderr: stdout belongs to the MCP stdio transport and to command output. */
export function createLogger(level: Config['LOG_LEVEL']): Logger {
  return pino(
    {
      name: 'narrative-mcp',
      level,
      redact: { paths: ['key', '*.key', 'authorization', '*.authorization', 'apiKey', '*.apiKey'], censor: '[redacted]' },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}
