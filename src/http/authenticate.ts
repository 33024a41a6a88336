import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { KwsError } from '../errors/index.js';
import { OPEN_PRINCIPAL, principalScope, scopeAllows } from '../storage/index.js';
import type { ApiKeyStore, Principal, Scope } from '../storage/index.js';
import type { KeyRateLimiter } from './rate-limit.js';

/**
 * A URL as logs may show it: anything shaped like an API key (`kws_` and 20 or more base64url
 * characters, say a key sent by mistake as `?access_token=`) replaced by `kws_[redacted]`.
 */
export function redactUrl(url: string): string {
  return url.replace(/kws_[A-Za-z0-9_-]{20,}/g, 'kws_[redacted]');
}

/** The `WWW-Authenticate` challenge of a 401 (RFC 6750, section 3). */
export const BEARER_CHALLENGE = 'Bearer realm="kws-serve"';

/** How a refused request is answered: as REST (`{ error }`) or as a GraphQL response (`{ errors }`). */
export type AuthErrorShape = 'rest' | 'graphql';

/** The principal {@link authenticate} put on a response; open when none did. */
export function principalOf(res: Response): Principal {
  return (res.locals['principal'] as Principal | undefined) ?? OPEN_PRINCIPAL;
}

function refuse(res: Response, shape: AuthErrorShape, error: KwsError, status: number): void {
  if (error.code === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', BEARER_CHALLENGE);
  res
    .status(status)
    .json(
      shape === 'rest'
        ? { error: { code: error.code, message: error.message } }
        : { errors: [{ message: error.message, extensions: { code: error.code, httpStatus: status } }] },
    );
}

/**
 * Express middleware that identifies the caller and, with `scope`, checks what it may do. A data
 * folder that never had an API key serves everyone (the open principal, scope `admin`); once one
 * was created, a request needs `Authorization: Bearer <key>` with a live key: none, a malformed
 * header or an unknown or revoked key is refused with 401 `UNAUTHENTICATED` and
 * `WWW-Authenticate: Bearer`, a key without `scope` with 403 `FORBIDDEN`. A refused attempt is
 * logged (warn) with the address and the reason, never the key. With a `limiter`, a client past its
 * rate gets 429 `RATE_LIMITED` with `Retry-After` (whole seconds). The principal lands in
 * `res.locals.principal` ({@link principalOf}).
 */
export function authenticate(
  keys: ApiKeyStore,
  logger: Logger,
  options: { readonly scope?: Scope; readonly shape?: AuthErrorShape; readonly limiter?: KeyRateLimiter } = {},
): RequestHandler {
  const shape = options.shape ?? 'rest';
  return (req: Request, res: Response, next: NextFunction) => {
    let principal: Principal = OPEN_PRINCIPAL;
    if (keys.anyKeyEver()) {
      const header = req.headers.authorization;
      const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
      const key = match === null ? null : keys.authenticate(match[1] as string);
      if (key === null) {
        const reason =
          header === undefined
            ? 'no Authorization header'
            : match === null
              ? 'not a Bearer token'
              : 'unknown or revoked key';
        logger.warn(
          { ip: req.ip, method: req.method, url: redactUrl(req.originalUrl), reason },
          'refused: not authenticated',
        );
        refuse(
          res,
          shape,
          new KwsError(
            'UNAUTHENTICATED',
            header === undefined
              ? 'this server needs an API key: send Authorization: Bearer <key>'
              : `the API key was refused (${reason})`,
          ),
          401,
        );
        return;
      }
      principal = { kind: 'key', key };
    }
    res.locals['principal'] = principal;
    const wait =
      options.limiter?.take(principal.kind === 'key' ? `key:${principal.key.id}` : `ip:${req.ip ?? ''}`) ?? 0;
    if (wait > 0) {
      res.setHeader('Retry-After', String(Math.ceil(wait / 1000)));
      refuse(
        res,
        shape,
        new KwsError(
          'RATE_LIMITED',
          `too many requests: at most ${options.limiter?.options.requestsPerSecond} a second (bursts of ${options.limiter?.options.burst}); retry in ${Math.ceil(wait / 1000)} s`,
        ),
        429,
      );
      return;
    }
    if (options.scope !== undefined && !scopeAllows(principalScope(principal), options.scope)) {
      const name = principal.kind === 'key' ? principal.key.name : 'open';
      logger.warn({ ip: req.ip, url: redactUrl(req.originalUrl), key: name, need: options.scope }, 'refused: scope');
      refuse(
        res,
        shape,
        new KwsError(
          'FORBIDDEN',
          `this needs the ${options.scope} scope; key ${JSON.stringify(name)} has ${principalScope(principal)}`,
        ),
        403,
      );
      return;
    }
    next();
  };
}
