import { execFile } from 'node:child_process';
import { childEnv } from './child-env.js';
import { CLI_PATH } from './cli-path.js';

/** Runs `narrative-mcp <args>` and returns its standard output; a non-zero exit throws with its standard error. */
export function runCli(args: readonly string[], vars: Readonly<Record<string, string>>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI_PATH, ...args], { env: childEnv(vars), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`bench: narrative-mcp ${args.join(' ')} failed (${error.message.split('\n')[0]}):\n${stderr.trim()}`));
      else resolve(stdout);
    });
  });
}
