import { errors, jwtVerify, type JWTPayload } from "jose";

/** Who presented a token, and what it allows. */
export interface VerifiedToken {
  subject: string | undefined;
  tokenId: string | undefined;
  scopes: ReadonlySet<string>;
  claims: JWTPayload;
}

/** Why a token was refused, in words safe to send back. */
export class TokenRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TokenRejected";
  }
}

/**
 * Turns a bearer token into a VerifiedToken or a TokenRejected. Every way of
 * checking tokens (a shared secret now; key sets later) sits behind this.
 */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

export interface Hs256Settings {
  secret: string;
  issuer: string | undefined;
  audience: string | undefined;
}

/** Tokens signed with a shared HS256 secret (development, small deployments). */
export class Hs256TokenVerifier implements TokenVerifier {
  readonly #key: Uint8Array;

  constructor(private readonly settings: Hs256Settings) {
    this.#key = new TextEncoder().encode(settings.secret);
  }

  async verify(token: string): Promise<VerifiedToken> {
    try {
      const { payload } = await jwtVerify(token, this.#key, {
        algorithms: ["HS256"],
        requiredClaims: ["exp"],
        ...(this.settings.issuer === undefined ? {} : { issuer: this.settings.issuer }),
        ...(this.settings.audience === undefined ? {} : { audience: this.settings.audience }),
      });
      return {
        subject: payload.sub,
        tokenId: payload.jti,
        scopes: new Set(typeof payload["scope"] === "string" ? payload["scope"].split(" ").filter(Boolean) : []),
        claims: payload,
      };
    } catch (error) {
      throw new TokenRejected(describe(error));
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) return `the token's ${error.claim} claim is not acceptable: ${error.reason}`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return "the token's signature does not verify";
  if (error instanceof errors.JOSEAlgNotAllowed) return "the token is signed with an algorithm this service does not accept";
  return "the token is malformed";
}
