import { Router } from "@koa/router";
import type { AuthState } from "../auth/authenticate.js";
import type { Authorizer } from "../auth/authorizer.js";
import type { FailureLimiter } from "../auth/failureLimiter.js";
import { ADMIN_PATH, LOGIN_PATH, SESSION_COOKIE, sameOrigin } from "../auth/operatorGuard.js";
import { clientKey, verifyOrRefuse } from "../auth/authenticate.js";
import type { TokenVerifier } from "../auth/tokenVerifier.js";
import { DASHBOARD_PATH } from "../dashboard/dashboard.js";
import { HttpError } from "../http/httpError.js";

const MAX_FORM_BYTES = 32 * 1024;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(message = ""): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Moneypenny operators</title></head>
<body>
<h1>Moneypenny operators</h1>
${message ? `<p role="alert">${message}</p>` : ""}
<form method="post" action="${LOGIN_PATH}">
<label>Token with the operations scope <input type="password" name="token" autocomplete="off" required></label>
<button type="submit">Open the dashboard</button>
</form>
</body></html>`;
}

/**
 * The operators' login: a form that takes a token (a person pastes the one
 * their identity provider gave them), checks it, and keeps it in an HttpOnly,
 * SameSite=Strict cookie (Secure behind https) scoped to the operator pages,
 * for as long as the token is valid. Logout clears it.
 */
export function operatorLoginRouter(verifier: TokenVerifier, authorizer: Authorizer, limiter: FailureLimiter): Router<AuthState> {
  const router = new Router<AuthState>();

  router.get(LOGIN_PATH, (ctx) => {
    ctx.type = "html";
    ctx.body = page();
  });

  router.post(LOGIN_PATH, async (ctx) => {
    if (!sameOrigin(ctx)) throw new HttpError(403, "cross_site_request", "log in from this site's own form");
    if (!ctx.is("application/x-www-form-urlencoded")) throw new HttpError(415, "unsupported_media_type", "send the login form", "body");
    let text = "";
    for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
      text += chunk.toString();
      if (text.length > MAX_FORM_BYTES) throw new HttpError(413, "body_too_large", "the form is too large", "body");
    }
    const token = new URLSearchParams(text).get("token")?.trim() ?? "";
    let verified;
    try {
      verified = await verifyOrRefuse(verifier, limiter, clientKey(ctx.ip, token), token);
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 401) throw error;
      ctx.state.audit.refused = true;
      ctx.status = 401;
      ctx.type = "html";
      ctx.body = page(`That token was refused: ${escapeHtml(error.message)}.`);
      return;
    }
    ctx.state.audit.subject = verified.subject;
    ctx.state.audit.tokenId = verified.tokenId;
    ctx.state.audit.scope = authorizer.operations(verified).scope;
    const exp = typeof verified.claims.exp === "number" ? verified.claims.exp : 0;
    ctx.cookies.set(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: "strict",
      secure: ctx.secure,
      path: ADMIN_PATH,
      maxAge: Math.max(0, exp * 1000 - Date.now()),
      overwrite: true,
    });
    ctx.redirect(`${DASHBOARD_PATH}/`);
    ctx.status = 303;
  });

  router.post(`${ADMIN_PATH}/logout`, (ctx) => {
    if (!sameOrigin(ctx)) throw new HttpError(403, "cross_site_request", "log out from this site's own page");
    ctx.cookies.set(SESSION_COOKIE, null, { path: ADMIN_PATH });
    ctx.redirect(LOGIN_PATH);
    ctx.status = 303;
  });

  return router;
}
