import cors from 'cors';
import express from 'express';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { describeValue, fromHttpError, KwsError, toClientError } from '../errors/index.js';
import { JOB_OUTPUTS } from '../jobs/index.js';
import { parseRecordId } from '../serving/index.js';
import type { JobRunner } from '../jobs/index.js';
import type { ServingService } from '../serving/index.js';
import type { ApiKeyStore, Scope } from '../storage/index.js';
import { authenticate, errorBody, redactUrl } from './authenticate.js';
import type { AuthErrorShape } from './authenticate.js';
import { clipsUploadHandler } from './clips.route.js';
import { mediaRouters } from './media.route.js';
import { webRouters } from './pages.route.js';
import { WEB_DIR } from '../config/index.js';
import { uploadGate } from './upload-gate.js';
import type { KeyRateLimiter } from './rate-limit.js';
import type { UploadLimits } from './clips.route.js';
import type { ServingMetrics } from './metrics.js';

/** What {@link createApp} wires together. */
export interface AppParts {
  readonly service: ServingService;
  readonly jobs: JobRunner;
  readonly metrics: ServingMetrics;
  readonly logger: Logger;
  readonly uploads: UploadLimits;
  /** Middleware for `/graphql` (graphql-upload + Apollo), from the graphql layer. */
  readonly graphql: readonly RequestHandler[];
  /** The API keys; a data folder that never had one serves everyone (see `authenticate`). */
  readonly keys: ApiKeyStore;
  /** Serve `/metrics` without a key (default: it needs the `read` scope). */
  readonly metricsPublic?: boolean;
  /** The built browser apps (`dashboard/`, `explorer/`); default `WEB_DIR` (`dist/web`). */
  readonly webDir?: string;
  /** Origins allowed to call from a browser (CORS, `cors` middleware); default none: CORS off. */
  readonly corsOrigins?: readonly string[];
  /** Per-key request rate (token buckets); default none: no limit. */
  readonly limiter?: KeyRateLimiter | null;
  /**
   * Without keys, answer requests addressed to any host name (the server listens beyond loopback,
   * `--insecure`). Default false: only loopback names (against DNS rebinding).
   */
  readonly anyHost?: boolean;
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
      parts.logger.info(
        {
          method: req.method,
          url: redactUrl(req.originalUrl),
          status: res.statusCode,
          ms: Math.round(seconds * 1e4) / 10,
        },
        'request',
      );
    });
    next();
  };
}

/**
 * Maps any error to its status and `{ error: { code, message } }`, or, under `/graphql` (a body the
 * upload gate or parser refused before GraphQL ran), to a GraphQL response
 * `{ errors: [{ message, extensions: { code, httpStatus } }] }`; masks and logs unexpected ones.
 */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const client = toClientError(fromHttpError(error));
    if (client.masked) logger.error({ err: error }, 'unexpected error');
    if (client.code === 'OVERLOADED' || client.code === 'NOT_READY')
      res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
    const shape = req.originalUrl.startsWith('/graphql') ? 'graphql' : 'rest';
    res.status(client.httpStatus).json(errorBody(shape, client.code, client.message, client.httpStatus));
  };
}

/**
 * The express application: `POST /v1/clips` (multipart uploads), `/graphql` (Apollo, with its
 * landing page on GET), `/healthz` (the process answers), `/readyz` (the serving version is loaded
 * and warmed; 503 until then), `/metrics` (Prometheus text format), `GET /v1/jobs/:id/submission.csv`
 * (and `probabilities.csv`, `errors.csv`) of a succeeded job, JSON 404 for anything else. With API
 * keys (see `authenticate`): uploads need `predict`, job files and `/metrics` `read` (unless
 * `metricsPublic`), GraphQL a live key and then each root field's scope; `/healthz` and `/readyz`
 * stay open. CORS only for `corsOrigins`.
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
  const origins = parts.corsOrigins ?? [];
  const limiter = parts.limiter ?? undefined;
  const auth = (scope: Scope, shape: AuthErrorShape = 'rest'): RequestHandler =>
    authenticate(parts.keys, parts.logger, {
      scope,
      shape,
      open: { anyHost: parts.anyHost === true, corsOrigins: origins },
      ...(limiter === undefined ? {} : { limiter }),
    });
  if (origins.length > 0)
    app.use(
      cors({
        origin: [...origins],
        methods: ['GET', 'POST'],
        allowedHeaders: ['Authorization', 'Content-Type', 'Apollo-Require-Preflight'],
        exposedHeaders: ['Retry-After', 'WWW-Authenticate'],
      }),
    );
  app.get('/metrics', ...(parts.metricsPublic === true ? [] : [auth('read')]), async (_req, res, next) => {
    try {
      parts.metrics.queueDepth.set(parts.service.batcher.queueLength);
      res.setHeader('Content-Type', parts.metrics.registry.contentType);
      res.send(await parts.metrics.registry.metrics());
    } catch (error) {
      next(error);
    }
  });
  app.post(
    '/v1/clips',
    auth('predict'),
    ...clipsUploadHandler(parts.service, parts.metrics, parts.uploads, (error) =>
      parts.logger.error({ err: error }, 'unexpected upload error'),
    ),
  );
  const media = mediaRouters(parts.service, parts.jobs);
  app.use('/v1/audio', auth('read'), media.audio);
  app.use('/v1/clips/:id', auth('predict'), media.clip);
  app.get('/v1/jobs/:id/:file', auth('read'), (req: Request, res: Response, next: NextFunction) => {
    try {
      const file = (Object.keys(JOB_OUTPUTS) as Array<keyof typeof JOB_OUTPUTS>).find(
        (k) => JOB_OUTPUTS[k] === req.params['file'],
      );
      const id = String(req.params['id'] ?? '');
      const numeric = parseRecordId(id);
      if (file === undefined || numeric === null)
        throw new KwsError(
          'NOT_FOUND',
          `no job file ${describeValue(`${id}/${req.params['file'] ?? ''}`)}; jobs have ${Object.values(JOB_OUTPUTS).join(', ')}`,
        );
      res.type('text/csv').sendFile(parts.jobs.outputPath(numeric, file), (error) => {
        if (error !== undefined && !res.headersSent)
          next(new KwsError('NOT_FOUND', `job ${id} has no ${req.params['file'] ?? ''} on disk`));
      });
    } catch (error) {
      next(error);
    }
  });
  const web = webRouters(parts.webDir ?? WEB_DIR);
  app.get('/', (_req, res) => res.redirect('/dashboard/'));
  app.use('/dashboard', web.dashboard);
  app.use('/explorer', web.explorer);
  app.get('/graphql', web.explorerPage);
  // Every key has at least `predict`; each operation's root fields are checked against their scopes in Apollo.
  app.use(
    '/graphql',
    auth('predict', 'graphql'),
    uploadGate(parts.uploads, { requireMultipart: false }),
    express.json({ limit: '256kb' }),
    ...parts.graphql,
  );
  app.use((req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.path}` } });
  });
  app.use(errorHandler(parts.logger));
  return app;
}
