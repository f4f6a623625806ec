import { hostHeaderValidation } from '@modelcontextprotocol/sdk/server/middleware/hostHeaderValidation.js';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendError } from '../send-error.js';

const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

export interface GuardOptions {
  /** The host the server listens on; with the local names it forms the default allow-list. */
  listenHost: string;
  /** The server's public base URL: its host and origin are allowed by default too. */
  publicUrl: string;
  allowedHosts?: string[] | undefined;
  allowedOrigins?: string[] | undefined;
  /** The port actually bound, once known (the default origins include it). */
  port: () => number;
}

/**
 * DNS-rebinding protection: the Host header must name this server, and a browser's Origin must
 * be one of ours. Requests without an Origin (MCP clients, curl) pass the origin check.
 */
export function requestGuards(options: GuardOptions): RequestHandler[] {
  const publicUrl = new URL(options.publicUrl);
  const hosts = options.allowedHosts ?? [...new Set([...LOCAL_HOSTS, bracketed(options.listenHost.toLowerCase()), publicUrl.hostname])];
  const checkHost = hostHeaderValidation(hosts.map((host) => host.replace(/^\[(.*)\]$/, '[$1]')));
  const checkOrigin = (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (origin === undefined) return next();
    const allowed = options.allowedOrigins ?? [...hosts.map((host) => `http://${host}:${options.port()}`), publicUrl.origin];
    if (allowed.includes(origin.toLowerCase())) return next();
    sendError(res, 403, 'forbidden_origin', `Requests from origin ${origin} are not allowed (see HTTP_ALLOWED_ORIGINS).`);
  };
  return [checkHost, checkOrigin];
}

function bracketed(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
