import { decodeJwt } from "jose";
import type { Middleware } from "koa";
import { HttpError } from "../http/httpError.js";
import type { RequestState } from "../http/requestContext.js";
import type { FailureLimiter } from "./failureLimiter.js";
import { KeySourceUnavailable, TokenRejected, type TokenVerifier, type VerifiedToken } from "./tokenVerifier.js";

export interface AuthState extends RequestState {
  token: VerifiedToken;
}

/** Tokens longer than this are refused unread. */
const MAX_TOKEN_LENGTH = 16 * 1024;
const CHALLENGE = 'Bearer realm="moneypenny"';

/**
 * Accepts a request only with `Authorization: Bearer <token>` that verifies
 * (401 otherwise; 503 when the keys cannot be had). Tokens are read from that
 * header only, never from the query string or a cookie. What the token may do
 * is decided per route (Authorizer).
 */
export function authenticate(verifier: TokenVerifier, limiter: FailureLimiter): Middleware<AuthState> {
  return async (ctx, next) => {
    const token = bearerToken(ctx.get("authorization"));
    const client = clientKey(ctx.ip, token);
    if (token === undefined) {
      throw limited(limiter.recordFailure(client)) ?? new HttpError(401, "unauthenticated", "an Authorization: Bearer token is required", undefined, { "WWW-Authenticate": CHALLENGE });
    }
    ctx.state.token = await verifyOrRefuse(verifier, limiter, client, token);
    ctx.state.audit.subject = ctx.state.token.subject;
    ctx.state.audit.tokenId = ctx.state.token.tokenId;
    await next();
  };
}

/**
 * Verifies a token, or refuses it as HTTP says: 400 when oversized, 401 when
 * it does not verify (counted against `client`), 503 when the keys cannot be had.
 */
export async function verifyOrRefuse(verifier: TokenVerifier, limiter: FailureLimiter, client: string, token: string): Promise<VerifiedToken> {
  if (token.length > MAX_TOKEN_LENGTH) throw new HttpError(400, "token_too_large", `the token is longer than ${MAX_TOKEN_LENGTH} bytes`);
  try {
    return await verifier.verify(token);
  } catch (error) {
    if (error instanceof KeySourceUnavailable) {
      throw new HttpError(503, "key_source_unavailable", `${error.message}; no token can be checked until they can`, undefined, { "Retry-After": "10" });
    }
    if (error instanceof TokenRejected) {
      throw limited(limiter.recordFailure(client)) ?? new HttpError(401, "invalid_token", error.message, undefined, { "WWW-Authenticate": `${CHALLENGE}, error="invalid_token"` });
    }
    throw error;
  }
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export function bearerToken(header: string): string | undefined {
  return /^Bearer +(\S+) *$/i.exec(header)?.[1];
}

/** The 429 for a client past its limit of failures, or undefined. */
function limited(retryAfterSeconds: number): HttpError | undefined {
  if (retryAfterSeconds === 0) return undefined;
  return new HttpError(429, "too_many_failures", `too many failed authentications; try again in ${retryAfterSeconds} s`, undefined, {
    "Retry-After": String(retryAfterSeconds),
  });
}

/**
 * Failures are counted per client address and the subject the token claims
 * (unverified): one address cannot spread its attempts over made-up subjects
 * beyond the limit per subject, and a forged token for a subject only counts
 * against the address that sent it.
 */
export function clientKey(address: string, token: string | undefined): string {
  return `${address} ${claimedSubject(token) ?? "-"}`;
}

/** The subject a token claims, unverified: only to count its failures. */
function claimedSubject(token: string | undefined): string | undefined {
  if (token === undefined || token.length > MAX_TOKEN_LENGTH) return undefined;
  try {
    const sub = decodeJwt(token).sub;
    return typeof sub === "string" ? sub.slice(0, 256) : undefined;
  } catch {
    return undefined;
  }
}
