import { Router } from "@koa/router";
import { z } from "zod";
import { ORDERS } from "@moneypenny/shared";
import type { AuthState } from "../auth/authenticate.js";
import type { Authorizer } from "../auth/authorizer.js";
import { readJsonBody } from "../http/jsonBody.js";
import { validate } from "../http/validation.js";
import { JOB_STATES, type JobService } from "../services/jobService.js";

export const listQuery = z.strictObject({
  state: z.enum(JOB_STATES, { error: `must be one of ${JOB_STATES.join(", ")}` }).default("failed"),
  order: z.enum(ORDERS, { error: `must be one of ${ORDERS.join(", ")}` }).optional(),
  limit: z.coerce.number({ error: "must be a number" }).int({ error: "must be an integer" }).min(1).max(500).default(50),
  cursor: z.coerce.number({ error: "must be a cursor from next_cursor" }).int().min(0).default(0),
});

export const retryAllBody = z.strictObject({
  state: z.literal("failed", { error: 'must be "failed"' }),
  order: z.enum(ORDERS, { error: `must be one of ${ORDERS.join(", ")}` }).optional(),
  olderThan: z.iso.datetime({ offset: true, error: "must be an ISO 8601 date-time" }).optional(),
});

const jobId = z.string().regex(/^[\w.-]{1,200}$/, { error: "is not a job id" });

/** Queue operations for operators (the operations scope). */
export function jobsRouter(jobs: JobService, authorizer: Authorizer, maxBodyBytes: number): Router<AuthState> {
  const router = new Router<AuthState>({ prefix: "/moneypenny/jobs" });
  router.use(async (ctx, next) => {
    ctx.state.audit.scope = authorizer.operations(ctx.state.token).scope;
    await next();
  });

  router.get("/", async (ctx) => {
    const query = validate(listQuery, ctx.query);
    ctx.body = await jobs.list(query.state, query.order, query.limit, query.cursor);
  });

  router.post("/retry", async (ctx) => {
    const body = validate(retryAllBody, await readJsonBody(ctx, maxBodyBytes));
    ctx.body = { retried: await jobs.retryFailed(body.order, body.olderThan === undefined ? undefined : new Date(body.olderThan)) };
  });

  router.get("/:id", async (ctx) => {
    ctx.body = await jobs.get(validate(jobId, ctx.params["id"], "id"));
  });

  router.post("/:id/retry", async (ctx) => {
    await jobs.retry(validate(jobId, ctx.params["id"], "id"));
    ctx.status = 202;
    ctx.body = { retried: 1 };
  });

  return router;
}
