import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { endedChildrenCpuSeconds } from './process-cpu-seconds.js';

const run = promisify(execFile);

/** One caller the load is spread over: the key it sends, its message, and its Streamable HTTP session if the server keeps sessions. */
export interface WrkCaller {
  key: string;
  /** Sent as `Mcp-Session-Id`; none for a server without sessions, where every POST stands alone. */
  sessionId?: string;
  message: string;
}

export interface WrkResult {
  requests: number;
  seconds: number;
  /** Answers with a status other than 2xx or 3xx. */
  badStatus: number;
  /** Connections refused, reset or timed out. */
  socketErrors: number;
  /** 200 answers that were not a cache-hit context (a tool error, say). */
  notCacheHits: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** The CPU time (user + system) wrk itself used, in seconds. */
  cpuSeconds: number;
}

/** Whether wrk (Debian's `wrk`, a load generator in C) is on the PATH. */
export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

/**
 * `orchestrate_smart_context` calls from wrk over `connections` keep-alive connections for
 * `seconds`, spread round-robin over the callers; every JSON-RPC id is unique, so calls in
 * flight on one session never collide. wrk runs as a process of its own in C, so the load costs
 * a fraction of what SDK clients in Node cost and the figure is the server's. Its CPU time is
 * read from this process's ended children, so no other child of the bench should end meanwhile.
 */
export async function wrkLoad(url: string, callers: readonly WrkCaller[], connections: number, seconds: number): Promise<WrkResult> {
  const folder = await mkdtemp(join(tmpdir(), 'narrative-bench-wrk-'));
  try {
    const script = join(folder, 'calls.lua');
    await writeFile(script, luaScript(callers));
    const threads = String(Math.min(2, connections));
    const cpuBefore = endedChildrenCpuSeconds();
    const { stdout } = await run('wrk', ['-t', threads, '-c', String(connections), '-d', `${seconds}s`, '--timeout', '10s', '-s', script, `${url}/mcp`], {
      maxBuffer: 1 << 20,
    });
    const cpuSeconds = endedChildrenCpuSeconds() - cpuBefore;
    const line = stdout.split('\n').find((text) => text.startsWith('WRK_JSON '));
    if (!line) throw new Error(`bench: wrk printed no result:\n${stdout}`);
    return { ...(JSON.parse(line.slice('WRK_JSON '.length)) as Omit<WrkResult, 'cpuSeconds'>), cpuSeconds };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** A Lua string literal that holds any text (a long bracket no text can close). */
function luaLong(text: string): string {
  let level = '';
  while (text.includes(`]${level}]`)) level += '=';
  return `[${level}[${text}]${level}]`;
}

function luaScript(callers: readonly WrkCaller[]): string {
  const entries = callers.map(({ key, sessionId, message }) => {
    const params = JSON.stringify({ name: 'orchestrate_smart_context', arguments: { user_message: message } });
    const session = sessionId === undefined ? '' : ` session = ${luaLong(sessionId)},`;
    return `  { auth = ${luaLong(`Bearer ${key}`)},${session} params = ${luaLong(params)} },`;
  });
  return `local callers = {
${entries.join('\n')}
}
local threads = {}
local counter = 0
not_cache = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function request()
  counter = counter + 1
  local s = callers[(counter % #callers) + 1]
  local headers = {
    ["Authorization"] = s.auth,
    ["Mcp-Protocol-Version"] = ${luaLong(LATEST_PROTOCOL_VERSION)},
    ["Content-Type"] = "application/json",
    ["Accept"] = "application/json, text/event-stream",
  }
  if s.session then headers["Mcp-Session-Id"] = s.session end
  local body = '{"jsonrpc":"2.0","id":"' .. tid .. '-' .. counter .. '","method":"tools/call","params":' .. s.params .. '}'
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  if status == 200 and not string.find(body, '"source":"cache"', 1, true) then not_cache = not_cache + 1 end
end

function done(summary, latency, requests)
  local missed = 0
  for _, thread in ipairs(threads) do missed = missed + thread:get("not_cache") end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"seconds":%.3f,"badStatus":%d,"socketErrors":%d,"notCacheHits":%d,"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f,"mean":%.3f}\\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout, missed,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
`;
}
