import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** HTTP request counts and latencies by route, and the process's own metrics. */
export class HttpMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'narrative_http_requests_total',
    help: 'HTTP requests by method, route and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly seconds = new Histogram({
    name: 'narrative_http_request_duration_seconds',
    help: 'HTTP request latency by route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts every response; the route is the matched pattern (never a raw path with ids in it). */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        const matched = req.route as { path?: string } | undefined;
        const route = matched?.path ? `${req.baseUrl}${matched.path}` : req.path.startsWith('/api/') ? 'api (unmatched)' : 'other';
        this.requests.inc({ method: req.method, route, status: String(res.statusCode) });
        this.seconds.observe({ method: req.method, route }, Number(process.hrtime.bigint() - started) / 1e9);
      });
      next();
    };
  }
}
