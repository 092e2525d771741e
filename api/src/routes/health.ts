import { Router } from "@koa/router";
import type { Redis } from "ioredis";
import { HttpError } from "../http/httpError.js";

/** How long /readyz waits for Redis before calling it unreachable. */
const PING_TIMEOUT_MS = 1000;

/**
 * Probes, without authentication: `/healthz` says the process serves (no
 * dependency is asked), `/readyz` that it can do its work (Redis answers).
 */
export function healthRouter(redis: Redis): Router {
  const router = new Router();
  router.get("/healthz", (ctx) => {
    ctx.body = { status: "ok" };
  });
  router.get("/readyz", async (ctx) => {
    const failure = await redisFailure(redis);
    if (failure !== undefined) throw new HttpError(503, "not_ready", `redis: ${failure}`);
    ctx.body = { status: "ready", checks: { redis: "ok" } };
  });
  return router;
}

/** Why Redis does not answer a PING in time, or undefined when it does. */
export async function redisFailure(redis: Redis): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer to PING within ${PING_TIMEOUT_MS} ms`), PING_TIMEOUT_MS);
  });
  try {
    return await Promise.race([redis.ping().then(() => undefined), timeout]);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    clearTimeout(timer);
  }
}
