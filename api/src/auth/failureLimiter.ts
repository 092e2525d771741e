/** Most clients tracked at once; past it the oldest windows are forgotten (memory stays bounded). */
const MAX_CLIENTS = 10_000;

/**
 * Counts failed authentications per client in a fixed window. A client past
 * the limit gets 429 instead of 401 for each further failure, telling it to
 * back off; a token that verifies always passes, so forged tokens cannot lock
 * a real caller out. Kept in this process: with several API replicas each
 * counts its own share.
 */
export class FailureLimiter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Counts a failure; answers the seconds to wait when the client is now past the limit, else 0. */
  recordFailure(client: string, now = Date.now()): number {
    let window = this.#windows.get(client);
    if (window === undefined || window.resetAt <= now) {
      this.#windows.delete(client);
      window = { count: 0, resetAt: now + this.windowMs };
      this.#windows.set(client, window);
      this.#bound(now);
    }
    window.count++;
    return window.count > this.limit ? Math.ceil((window.resetAt - now) / 1000) : 0;
  }

  #bound(now: number): void {
    if (this.#windows.size <= MAX_CLIENTS) return;
    for (const [client, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(client);
    // Maps iterate in insertion order: the first entries are the oldest windows.
    for (const client of this.#windows.keys()) {
      if (this.#windows.size <= MAX_CLIENTS) break;
      this.#windows.delete(client);
    }
  }
}
