import type { Middleware } from "koa";
import { isRedisUnavailable, type Logger } from "@moneypenny/shared";
import { JobNotFailedError, UnknownJobError } from "../services/jobErrors.js";
import { OrderConflictError, UnknownUserError } from "../services/orderErrors.js";
import { errorBody, HttpError } from "./httpError.js";

/**
 * The outermost middleware: every failure leaves as a JSON error, unknown
 * routes included, and nothing internal leaks into a response.
 */
export function errorHandler(log: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // Nothing answered (404), or the router refused the method (405, 501).
      if (ctx.body === undefined && ctx.status >= 400) throw unanswered(ctx.status, ctx.method, ctx.path);
    } catch (caught) {
      const error = toHttpError(caught);
      if (error.status === 503) log.warn({ err: caught, method: ctx.method, path: ctx.path }, error.message);
      else if (error.status >= 500) log.error({ err: caught, method: ctx.method, path: ctx.path }, error.message);
      ctx.status = error.status;
      ctx.set(error.headers);
      ctx.body = errorBody(error);
    }
  };
}

function unanswered(status: number, method: string, path: string): HttpError {
  if (status === 404) return new HttpError(404, "not_found", `no route ${method} ${path}`);
  if (status === 405) return new HttpError(405, "method_not_allowed", `${method} is not allowed on ${path}`);
  return new HttpError(status, "not_implemented", `${method} is not implemented`);
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof UnknownUserError) return new HttpError(404, "unknown_user", error.message, "username");
  if (error instanceof OrderConflictError) return new HttpError(409, "order_in_progress", error.message, "username");
  if (error instanceof UnknownJobError) return new HttpError(404, "unknown_job", error.message, "id");
  if (error instanceof JobNotFailedError) return new HttpError(409, "job_not_failed", error.message, "id");
  if (isRedisUnavailable(error)) {
    return new HttpError(503, "redis_unavailable", "Redis cannot be reached; try again shortly (repeating the same request is safe)", undefined, { "Retry-After": "5" });
  }
  return new HttpError(500, "internal_error", "internal error; the API log has the details");
}
