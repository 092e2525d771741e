import type { Middleware } from "koa";
import { HttpError } from "../http/httpError.js";
import { TokenRejected, type TokenVerifier, type VerifiedToken } from "./tokenVerifier.js";

export interface AuthState {
  token: VerifiedToken;
}

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="moneypenny"' };

/**
 * Lets a request through only with `Authorization: Bearer <token>` that
 * verifies and carries `scope` (an exact token of the space-separated claim).
 * 401 when the token is missing or invalid, 403 when the scope is absent.
 */
export function requireScope(verifier: TokenVerifier, scope: string): Middleware<AuthState> {
  return async (ctx, next) => {
    const match = /^Bearer +([^\s]+) *$/i.exec(ctx.get("authorization"));
    if (match?.[1] === undefined) {
      throw new HttpError(401, "unauthenticated", "an Authorization: Bearer token is required", undefined, CHALLENGE);
    }
    try {
      ctx.state.token = await verifier.verify(match[1]);
    } catch (error) {
      if (error instanceof TokenRejected) {
        throw new HttpError(401, "invalid_token", error.message, undefined, { "WWW-Authenticate": 'Bearer realm="moneypenny", error="invalid_token"' });
      }
      throw error;
    }
    if (!ctx.state.token.scopes.has(scope)) {
      throw new HttpError(403, "insufficient_scope", `the token lacks the scope ${scope}`, undefined, {
        "WWW-Authenticate": `Bearer realm="moneypenny", error="insufficient_scope", scope="${scope}"`,
      });
    }
    await next();
  };
}
