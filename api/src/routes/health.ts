import { Router } from "@koa/router";
import type { Redis } from "ioredis";
import type { Registry } from "prom-client";
import { redisFailure } from "@moneypenny/shared";
import { HttpError } from "../http/httpError.js";

/**
 * Probes, without authentication: `/healthz` says the process serves (no
 * dependency is asked), `/readyz` that it can do its work (Redis answers),
 * `/metrics` the Prometheus text.
 */
export function healthRouter(redis: Redis, registry: Registry): Router {
  const router = new Router();
  router.get("/healthz", (ctx) => {
    ctx.body = { status: "ok" };
  });
  router.get("/readyz", async (ctx) => {
    const failure = await redisFailure(redis);
    if (failure !== undefined) throw new HttpError(503, "not_ready", `redis: ${failure}`);
    ctx.body = { status: "ready", checks: { redis: "ok" } };
  });
  router.get("/metrics", async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  return router;
}
