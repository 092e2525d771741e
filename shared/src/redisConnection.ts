import { Redis, type RedisOptions } from "ioredis";

/**
 * How a connection is used decides how it behaves while Redis is away:
 * - `request`: serves an HTTP request, so it fails fast (no offline queue) and
 *   the API answers 503 instead of hanging;
 * - `queue`: BullMQ workers and event listeners, which must wait for Redis
 *   forever (`maxRetriesPerRequest: null`, as BullMQ requires);
 * - `subscriber`: pub/sub, reconnects and resubscribes by itself.
 */
export type RedisRole = "request" | "queue" | "subscriber";

export function connectRedis(url: string, role: RedisRole, connectionName: string): Redis {
  const options: RedisOptions = { connectionName, lazyConnect: false };
  if (role === "request") {
    options.enableOfflineQueue = false;
    options.maxRetriesPerRequest = 1;
  } else {
    options.maxRetriesPerRequest = null;
  }
  return new Redis(url, options);
}

/** True for the errors ioredis raises when Redis cannot be reached. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    error.name === "MaxRetriesPerRequestError" ||
    (code !== undefined && ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND"].includes(code)) ||
    /enableOfflineQueue|Connection is closed|Stream isn't writeable/i.test(error.message)
  );
}
