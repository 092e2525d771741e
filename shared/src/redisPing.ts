import type { Redis } from "ioredis";

/** Why Redis does not answer a PING within `timeoutMs`, or undefined when it does. */
export async function redisFailure(redis: Redis, timeoutMs = 1000): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer to PING within ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then(() => undefined), timeout]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
