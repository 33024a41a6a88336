import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { KwsError } from '../errors/index.js';
import { OPEN_PRINCIPAL, principalOn, principalScope, scopeAllows, setPrincipal } from '../storage/index.js';
import type { ApiKeyRecord, ApiKeyStore, Principal, Scope } from '../storage/index.js';
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

/** How an error is answered: as REST (`{ error }`) or as a GraphQL response (`{ errors }`). */
export type AuthErrorShape = 'rest' | 'graphql';

/**
 * The principal {@link authenticate} put on a response.
 *
 * @throws KwsError `INTERNAL` when none did (a route mounted without `authenticate`): fails closed.
 */
export function principalOf(res: Response): Principal {
  return principalOn(res.locals);
}

/**
 * An error as a response body: REST's `{ error: { code, message } }`, or a GraphQL response
 * `{ errors: [{ message, extensions: { code, httpStatus } }] }` for `/graphql`.
 */
export function errorBody(shape: AuthErrorShape, code: string, message: string, httpStatus: number): object {
  return shape === 'rest' ? { error: { code, message } } : { errors: [{ message, extensions: { code, httpStatus } }] };
}

function refuse(res: Response, shape: AuthErrorShape, error: KwsError, status: number): void {
  if (error.code === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', BEARER_CHALLENGE);
  res.status(status).json(errorBody(shape, error.code, error.message, status));
}

/** Options of {@link authenticate}. */
export interface AuthenticateOptions {
  /** The scope the route needs; none: any live key (or the open principal). */
  readonly scope?: Scope;
  /** How a refusal is written. Default `rest`. */
  readonly shape?: AuthErrorShape;
  /** Per-client token buckets; also spent by refused attempts, per address. */
  readonly limiter?: KeyRateLimiter;
  /**
   * Where the server runs without keys, the checks that keep web pages out of it: a request must be
   * addressed to a loopback name (`Host`; against DNS rebinding) unless `anyHost`, and an `Origin`
   * header must be the server's own or one of `corsOrigins` (against cross-site form posts).
   */
  readonly open?: { readonly anyHost: boolean; readonly corsOrigins: readonly string[] };
}

/** Whether a host name or address is loopback: `localhost`, 127.0.0.0/8 or `::1` (brackets and a port allowed). */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[([^\]]*)\](:\d+)?$/, '$1')
    .replace(/^([^:]*):\d+$/, '$1');
  return h === 'localhost' || h === '::1' || h === '::ffff:127.0.0.1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The refusal of an open server's guard for this request, or null to let it pass. */
function openGuard(req: Request, open: NonNullable<AuthenticateOptions['open']>): KwsError | null {
  const host = req.headers.host ?? '';
  if (!open.anyHost && !isLoopback(host))
    return new KwsError(
      'FORBIDDEN',
      `this server has no API keys, so it answers only requests addressed to a loopback name, got Host ${JSON.stringify(host)}`,
    );
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${req.protocol}://${host}` && !open.corsOrigins.includes(origin))
    return new KwsError(
      'FORBIDDEN',
      `cross-origin requests from ${JSON.stringify(origin)} are refused: this server has no API keys (allow an origin with --cors-origin)`,
    );
  return null;
}

/** The live key of an `Authorization: Bearer` header, or why there is none. */
function bearerKey(keys: ApiKeyStore, header: string | undefined): { key: ApiKeyRecord } | { reason: string } {
  if (header === undefined) return { reason: 'no Authorization header' };
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (match === null) return { reason: 'not a Bearer token' };
  const key = keys.authenticate(match[1] as string);
  return key === null ? { reason: 'unknown or revoked key' } : { key };
}

/**
 * Express middleware that identifies the caller and, with `scope`, checks what it may do. A data
 * folder that never had an API key serves everyone (the open principal, scope `admin`), behind the
 * `open` guard; once one was created, a request needs `Authorization: Bearer <key>` with a live
 * key: none, a malformed header or an unknown or revoked key is refused with 401 `UNAUTHENTICATED`
 * and `WWW-Authenticate: Bearer`, a key without `scope` with 403 `FORBIDDEN`. A refused attempt is
 * logged (warn) with the address and the reason, never the key. With a `limiter`, a client past its
 * rate gets 429 `RATE_LIMITED` with `Retry-After` (whole seconds); refused attempts spend their
 * address's tokens too. The principal lands in `res.locals.principal` ({@link principalOf}).
 */
export function authenticate(keys: ApiKeyStore, logger: Logger, options: AuthenticateOptions = {}): RequestHandler {
  const shape = options.shape ?? 'rest';
  const limited = (res: Response, client: string): boolean => {
    const wait = options.limiter?.take(client) ?? 0;
    if (wait === 0) return false;
    const seconds = Math.ceil(wait / 1000);
    res.setHeader('Retry-After', String(seconds));
    const { requestsPerSecond, burst } = options.limiter?.options ?? { requestsPerSecond: 0, burst: 0 };
    refuse(
      res,
      shape,
      new KwsError(
        'RATE_LIMITED',
        `too many requests: at most ${requestsPerSecond} a second (bursts of ${burst}); retry in ${seconds} s`,
      ),
      429,
    );
    return true;
  };
  return (req: Request, res: Response, next: NextFunction) => {
    const address = `ip:${req.ip ?? ''}`;
    let principal: Principal = OPEN_PRINCIPAL;
    if (keys.anyKeyEver()) {
      const found = bearerKey(keys, req.headers.authorization);
      if ('reason' in found) {
        if (limited(res, address)) return;
        logger.warn(
          { ip: req.ip, method: req.method, url: redactUrl(req.originalUrl), reason: found.reason },
          'refused: not authenticated',
        );
        refuse(
          res,
          shape,
          new KwsError(
            'UNAUTHENTICATED',
            req.headers.authorization === undefined
              ? 'this server needs an API key: send Authorization: Bearer <key>'
              : `the API key was refused (${found.reason})`,
          ),
          401,
        );
        return;
      }
      principal = { kind: 'key', key: found.key };
    } else if (options.open !== undefined) {
      const refused = openGuard(req, options.open);
      if (refused !== null) {
        logger.warn({ ip: req.ip, host: req.headers.host, origin: req.headers.origin }, 'refused: open-server guard');
        refuse(res, shape, refused, 403);
        return;
      }
    }
    setPrincipal(res.locals, principal);
    if (limited(res, principal.kind === 'key' ? `key:${principal.key.id}` : address)) return;
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
