import type { JWTPayload } from "jose";

/** Who presented a token, and what it allows. */
export interface VerifiedToken {
  subject: string | undefined;
  tokenId: string | undefined;
  scopes: ReadonlySet<string>;
  claims: JWTPayload;
}

/** Why a token was refused, in words safe to send back (401). */
export class TokenRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenRejected";
  }
}

/** The keys cannot be had (a JWKS endpoint down, with nothing cached): no token can be judged (503). */
export class KeySourceUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeySourceUnavailable";
  }
}

/**
 * Turns a bearer token into a VerifiedToken, or rejects it (TokenRejected,
 * KeySourceUnavailable). Every way of checking tokens sits behind this.
 */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

/**
 * Scopes come from `scope` (space-separated, OAuth 2.0) or `scopes` (an
 * array); a claim of the wrong type grants nothing. Exact tokens only.
 */
export function scopesOf(claims: JWTPayload): Set<string> {
  const scopes = new Set<string>();
  const scope = claims["scope"];
  if (typeof scope === "string") for (const s of scope.split(" ")) if (s !== "") scopes.add(s);
  const list = claims["scopes"];
  if (Array.isArray(list)) for (const s of list) if (typeof s === "string" && s !== "") scopes.add(s);
  return scopes;
}
