import cluster from 'node:cluster';
import { Router } from 'express';
import { Registry } from 'prom-client';
import type { App } from '../../app/app.js';
import type { HttpMetrics } from '../http-metrics.js';

/**
 * `/healthz` (is the database reachable? and which worker answered, under `--workers`) and
 * `/metrics` (Prometheus, of the process that answers), without auth.
 */
export function operationsRoutes(app: App, httpMetrics: HttpMetrics): Router {
  const router = Router();
  const metrics = Registry.merge([app.engine.metrics.registry, httpMetrics.registry]);

  router.get('/healthz', async (_req, res) => {
    try {
      await app.repositories.health.ping();
      res.json({ status: 'ok', database: app.database.kind, worker: cluster.worker?.id ?? null });
    } catch (error) {
      app.logger.warn({ err: error }, 'health check failed');
      res.status(503).set('Retry-After', '5').json({
        status: 'unavailable',
        database: app.database.kind,
        error: { code: 'unavailable', message: 'The database is unreachable right now; try again in a few seconds.' },
      });
    }
  });

  router.get('/metrics', async (_req, res) => {
    const queue = app.engine.runner.size;
    app.engine.metrics.queueDepth.set({ state: 'queued' }, queue.queued);
    app.engine.metrics.queueDepth.set({ state: 'running' }, queue.running);
    res.set('Content-Type', metrics.contentType).send(await metrics.metrics());
  });

  return router;
}
