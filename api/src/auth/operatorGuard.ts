import type { Context, Middleware } from "koa";
import { HttpError } from "../http/httpError.js";
import { bearerToken, clientKey, verifyOrRefuse, type AuthState } from "./authenticate.js";
import type { Authorizer } from "./authorizer.js";
import type { FailureLimiter } from "./failureLimiter.js";
import type { TokenVerifier } from "./tokenVerifier.js";

export const SESSION_COOKIE = "moneypenny_operator";
export const ADMIN_PATH = "/moneypenny/admin";
export const LOGIN_PATH = `${ADMIN_PATH}/login`;

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Guards the operator pages (the dashboard) before they run: a bearer token,
 * or the session cookie set by the login form, holding a token with the
 * operations scope. The cookie is HttpOnly and SameSite=Strict; a write that
 * rides on it must also come from this origin (Sec-Fetch-Site / Origin), so a
 * page elsewhere cannot make a logged-in browser act.
 */
export function operatorGuard(verifier: TokenVerifier, authorizer: Authorizer, limiter: FailureLimiter): Middleware<AuthState> {
  return async (ctx, next) => {
    const bearer = bearerToken(ctx.get("authorization"));
    const token = bearer ?? ctx.cookies.get(SESSION_COOKIE);
    const client = clientKey(ctx.ip, token);
    if (token === undefined) {
      ctx.state.audit.refused = true;
      // A browser opening the page is sent to the login form; an API client gets 401.
      if (ctx.get("accept").includes("text/html")) return ctx.redirect(LOGIN_PATH);
      throw new HttpError(401, "unauthenticated", `an Authorization: Bearer token, or a session from ${LOGIN_PATH}, is required`, undefined, {
        "WWW-Authenticate": 'Bearer realm="moneypenny"',
      });
    }
    try {
      ctx.state.token = await verifyOrRefuse(verifier, limiter, client, token);
    } catch (error) {
      // A session whose token no longer verifies (expired) is ended.
      if (bearer === undefined && error instanceof HttpError && error.status === 401) ctx.cookies.set(SESSION_COOKIE, null, { path: ADMIN_PATH });
      throw error;
    }
    ctx.state.audit.subject = ctx.state.token.subject;
    ctx.state.audit.tokenId = ctx.state.token.tokenId;
    ctx.state.audit.scope = authorizer.operations(ctx.state.token).scope;
    if (bearer === undefined && !SAFE_METHODS.has(ctx.method) && !sameOrigin(ctx)) {
      throw new HttpError(403, "cross_site_request", "a write with the session cookie must come from this site");
    }
    await next();
  };
}

/** Whether the browser says the request comes from this very site. */
export function sameOrigin(ctx: Context): boolean {
  const site = ctx.get("sec-fetch-site");
  if (site !== "") return site === "same-origin";
  const origin = ctx.get("origin");
  return origin !== "" && origin === `${ctx.protocol}://${ctx.host}`;
}
