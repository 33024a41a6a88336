import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express from 'express';
import type { NextFunction, Request, Response, Router } from 'express';
import { KwsError } from '../errors/index.js';

/**
 * The pages' Content-Security-Policy: scripts, styles, fonts and connections to this origin only
 * (nothing from any other host); images, audio and fonts also from `data:`/`blob:` URLs (spectrogram
 * rasters, clips fetched with the API key, GraphiQL's inlined fonts); inline style attributes, which
 * Observable Plot and GraphiQL set.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

function secureHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
}

/** A static app folder, or a 404 that says how to build it when it is missing. */
function appFolder(dir: string, name: string): Router {
  const router = express.Router();
  router.use(secureHeaders);
  router.use((_req, _res, next) => {
    next(
      existsSync(join(dir, 'index.html'))
        ? undefined
        : new KwsError('NOT_FOUND', `the ${name} is not built (no ${dir}): run npm run build`),
    );
  });
  router.use(express.static(dir, { index: 'index.html', fallthrough: true, maxAge: 0 }));
  return router;
}

/**
 * The browser apps: the dashboard at `/dashboard/` and the API explorer's files at `/explorer/`,
 * static files built by `npm run build` into `webDir`. Neither holds data: both read everything
 * through `/graphql` and the audio routes with the user's API key, so they are served without one.
 */
export function webRouters(webDir: string): {
  dashboard: Router;
  explorer: Router;
  explorerPage: (req: Request, res: Response, next: NextFunction) => void;
} {
  const explorerDir = join(webDir, 'explorer');
  return {
    dashboard: appFolder(join(webDir, 'dashboard'), 'dashboard'),
    explorer: appFolder(explorerDir, 'API explorer'),
    /**
     * `GET /graphql` from a browser (an `Accept` preferring HTML, no `query` parameter): the
     * explorer's page; anything else goes on to Apollo.
     */
    explorerPage: (req, res, next) => {
      if (req.query['query'] !== undefined || req.accepts(['application/json', 'text/html']) !== 'text/html') {
        next();
        return;
      }
      const page = join(explorerDir, 'index.html');
      if (!existsSync(page)) {
        next(new KwsError('NOT_FOUND', `the API explorer is not built (no ${page}): run npm run build`));
        return;
      }
      secureHeaders(req, res, () => res.sendFile(page));
    },
  };
}
