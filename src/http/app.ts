import express from 'express';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { toClientError } from '../errors/index.js';
import type { ServingService } from '../jobs/index.js';
import { clipsUploadHandler } from './clips.route.js';
import type { UploadLimits } from './clips.route.js';
import type { ServingMetrics } from './metrics.js';

/** What {@link createApp} wires together. */
export interface AppParts {
  readonly service: ServingService;
  readonly metrics: ServingMetrics;
  readonly logger: Logger;
  readonly uploads: UploadLimits;
  /** Middleware for `/graphql` (graphql-upload + Apollo), from the graphql layer. */
  readonly graphql: readonly RequestHandler[];
}

/** Seconds a client is told to wait after OVERLOADED or NOT_READY (`Retry-After`). */
export const RETRY_AFTER_SECONDS = 1;

function observe(parts: AppParts): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (req.route as { path?: string } | undefined)?.path ?? (req.baseUrl !== '' ? req.baseUrl : 'other');
      parts.metrics.requestSeconds.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      parts.logger.info({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(seconds * 1e4) / 10 }, 'request');
    });
    next();
  };
}

/** Maps any error to `{ error: { code, message } }` with its status; masks and logs unexpected ones. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const client = toClientError(error);
    if (client.masked) logger.error({ err: error }, 'unexpected error');
    if (client.code === 'OVERLOADED' || client.code === 'NOT_READY') res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(client.httpStatus).json({ error: { code: client.code, message: client.message } });
  };
}

/**
 * The express application: `POST /v1/clips` (multipart uploads), `/graphql` (Apollo, with its
 * landing page on GET), `/healthz` (the process answers), `/readyz` (the serving version is loaded
 * and warmed; 503 until then), `/metrics` (Prometheus text format), JSON 404 for anything else.
 */
export function createApp(parts: AppParts): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(observe(parts));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const readiness = parts.service.readiness();
    if (!readiness.ready) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  app.get('/metrics', async (_req, res, next) => {
    try {
      parts.metrics.queueDepth.set(parts.service.batcher.queueLength);
      res.setHeader('Content-Type', parts.metrics.registry.contentType);
      res.send(await parts.metrics.registry.metrics());
    } catch (error) {
      next(error);
    }
  });
  app.post('/v1/clips', ...clipsUploadHandler(parts.service, parts.metrics, parts.uploads));
  app.use('/graphql', express.json({ limit: '1mb' }), ...parts.graphql);
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.path}` } });
  });
  app.use(errorHandler(parts.logger));
  return app;
}
