import { repoPath } from './repo-path.js';

/** The `narrative-mcp` command as a user runs it (the built code in dist/). */
export const CLI_PATH = repoPath('bin', 'narrative-mcp.js');
