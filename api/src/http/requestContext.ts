import { randomUUID } from "node:crypto";
import type { Middleware } from "koa";
import type { Logger } from "@moneypenny/shared";

export interface RequestState {
  requestId: string;
  log: Logger;
}

/**
 * Gives every request an id (the caller's X-Request-Id when it is sane, else a
 * new one), echoes it, and logs one line when the request ends.
 */
export function requestContext(log: Logger): Middleware<RequestState> {
  return async (ctx, next) => {
    const offered = ctx.get("x-request-id");
    const requestId = /^[\w.-]{1,128}$/.test(offered) ? offered : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = log.child({ requestId });
    ctx.set("X-Request-Id", requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      ctx.state.log.info(
        { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(performance.now() - started) },
        "request",
      );
    }
  };
}
