import { randomUUID } from "node:crypto";
import type { Middleware } from "koa";
import type { Logger } from "@moneypenny/shared";

/** Who did what, filled in as the request is authenticated and authorized. */
export interface AuditRecord {
  subject?: string | undefined;
  tokenId?: string | undefined;
  /** The scope that allowed the action. */
  scope?: string;
  /** The user acted on. */
  username?: string;
  /** The route template, e.g. /moneypenny/users/:username. */
  route?: string | undefined;
  /** Refused even though the status is not an error (a redirect to the login form). */
  refused?: boolean;
}

export interface RequestState {
  requestId: string;
  log: Logger;
  audit: AuditRecord;
}

/**
 * Gives every request an id (the caller's X-Request-Id when it is sane, else a
 * new one), echoes it, and writes one audit line when the request ends:
 * subject, token id, scope used, route, user acted on, client address and
 * outcome. Never the token itself.
 */
export function requestContext(log: Logger): Middleware<RequestState> {
  return async (ctx, next) => {
    const offered = ctx.get("x-request-id");
    const requestId = /^[\w.-]{1,128}$/.test(offered) ? offered : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = log.child({ requestId });
    ctx.state.audit = {};
    ctx.set("X-Request-Id", requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      const { subject, tokenId, scope, username, route, refused } = ctx.state.audit;
      ctx.state.log.info(
        {
          audit: {
            method: ctx.method,
            route: route ?? (ctx as { _matchedRoute?: string })._matchedRoute ?? ctx.path,
            subject,
            jti: tokenId,
            scope,
            username,
            client: ctx.ip,
            status: ctx.status,
            outcome: ctx.status < 400 && refused !== true ? "accepted" : "refused",
          },
          ms: Math.round(performance.now() - started),
        },
        "request",
      );
    }
  };
}
