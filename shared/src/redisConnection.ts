import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "./logger.js";

/**
 * How a connection is used decides how it behaves while Redis is away:
 * - `request`: serves an HTTP request, so it fails fast (no offline queue) and
 *   the API answers 503 instead of hanging;
 * - `queue`: BullMQ workers and event listeners, which must wait for Redis
 *   forever (`maxRetriesPerRequest: null`, as BullMQ requires);
 * - `subscriber`: pub/sub, reconnects and resubscribes by itself.
 */
export type RedisRole = "request" | "queue" | "subscriber";

export function connectRedis(url: string, role: RedisRole, connectionName: string, log: Logger): Redis {
  const options: RedisOptions = {
    connectionName,
    lazyConnect: false,
    // ioredis 6 backs off up to 5 s; an API that answers 503 until then is down
    // longer than Redis was. Retry at most every second (with jitter) instead.
    retryStrategy: (times) => Math.min(times * 100, 1000) + Math.floor(Math.random() * 100),
  };
  if (role === "request") {
    options.enableOfflineQueue = false;
    options.maxRetriesPerRequest = 1;
  } else {
    options.maxRetriesPerRequest = null;
  }
  const redis = new Redis(url, options);
  // ioredis reconnects by itself; say so once per outage, not once per attempt.
  let down = false;
  redis.on("error", (error: Error) => {
    if (!down) log.warn({ err: error, connection: connectionName }, "Redis connection lost; reconnecting");
    down = true;
  });
  redis.on("ready", () => {
    if (down) log.info({ connection: connectionName }, "Redis connection restored");
    down = false;
  });
  return redis;
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
