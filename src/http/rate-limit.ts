import { TokenBucket } from 'limiter';
import { describeValue, KwsError } from '../errors/index.js';

/** The per-key rate limit of the server (off unless configured). */
export interface RateLimitOptions {
  /** Requests a second each key (or, on a server without keys, each client address) may make on average; > 0. */
  readonly requestsPerSecond: number;
  /** Requests it may make at once after a pause (the token bucket's size); an integer >= 1. */
  readonly burst: number;
}

/** Most buckets kept; past it the least recently used is dropped (it starts again with a full bucket). */
const MAX_BUCKETS = 10_000;

/**
 * One token bucket per client (the `limiter` package's `TokenBucket`: `burst` tokens, refilled at
 * `requestsPerSecond`), each request taking one token. A client is an API key, or a remote address
 * where the server has no keys.
 *
 * @throws KwsError `INVALID_ARGUMENT` for a rate that is not a positive finite number or a burst
 *   that is not an integer >= 1.
 */
export class KeyRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(readonly options: RateLimitOptions) {
    if (!Number.isFinite(options.requestsPerSecond) || options.requestsPerSecond <= 0)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `the rate limit must be a positive number of requests a second, got ${describeValue(options.requestsPerSecond)}`,
      );
    if (!Number.isInteger(options.burst) || options.burst < 1)
      throw new KwsError(
        'INVALID_ARGUMENT',
        `the rate burst must be an integer of at least 1, got ${describeValue(options.burst)}`,
      );
  }

  /**
   * Takes one token of `client`'s bucket (`key:<id>` or `ip:<address>`, as the caller names them).
   *
   * @returns 0 when the request may go on, else how long until it could, ms (> 0).
   */
  take(client: string): number {
    let bucket = this.buckets.get(client);
    // Least recently used last: a client in use is never the one dropped.
    if (bucket !== undefined) {
      this.buckets.delete(client);
      this.buckets.set(client, bucket);
    }
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.buckets.delete(this.buckets.keys().next().value as string);
      bucket = new TokenBucket({
        bucketSize: this.options.burst,
        tokensPerInterval: this.options.requestsPerSecond,
        interval: 1000,
      });
      bucket.content = this.options.burst;
      this.buckets.set(client, bucket);
    }
    if (bucket.tryRemoveTokens(1)) return 0;
    return Math.max(1, bucket.getWaitTime(1));
  }
}
