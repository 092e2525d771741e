/**
 * Counts failed authentications per client (the subject a token claims, else
 * the client address) in a fixed window; past the limit, the client is told
 * to wait (429) without its tokens being looked at. Kept in this process: with
 * several API replicas each counts its own share.
 */
export class FailureLimiter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds until the client may try again, or 0 when it may now. */
  retryAfter(client: string, now = Date.now()): number {
    const window = this.#windows.get(client);
    if (window === undefined || window.resetAt <= now) return 0;
    return window.count >= this.limit ? Math.ceil((window.resetAt - now) / 1000) : 0;
  }

  recordFailure(client: string, now = Date.now()): void {
    const window = this.#windows.get(client);
    if (window === undefined || window.resetAt <= now) {
      this.#windows.set(client, { count: 1, resetAt: now + this.windowMs });
      if (this.#windows.size > 10_000) this.#forgetExpired(now);
    } else {
      window.count++;
    }
  }

  #forgetExpired(now: number): void {
    for (const [client, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(client);
  }
}
