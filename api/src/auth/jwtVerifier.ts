import { readFile } from "node:fs/promises";
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { ConfigError, type AuthSettings } from "@moneypenny/shared";
import { KeySourceUnavailable, scopesOf, TokenRejected, type TokenVerifier, type VerifiedToken } from "./tokenVerifier.js";

const HMAC = ["HS256", "HS384", "HS512"];
const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519"];

/**
 * Verifies JWTs with jose against one key source. Each source has its own
 * algorithms, never `none`: an HMAC token never passes a key set, nor an
 * asymmetric one a shared secret.
 */
export class JwtVerifier implements TokenVerifier {
  private constructor(
    private readonly key: Uint8Array | JWTVerifyGetKey,
    private readonly algorithms: string[],
    private readonly settings: AuthSettings,
  ) {}

  static async create(settings: AuthSettings): Promise<JwtVerifier> {
    const source = settings.keySource;
    const allowed = source.kind === "secret" ? HMAC : ASYMMETRIC;
    const algorithms = settings.algorithms ?? (source.kind === "secret" ? ["HS256"] : ASYMMETRIC);
    const wrong = algorithms.filter((a) => !allowed.includes(a));
    if (wrong.length > 0) {
      throw new ConfigError([`MONEYPENNY_AUTH_ALGORITHMS: ${wrong.join(", ")} cannot be used with ${source.kind === "secret" ? "a shared secret" : "a key set"}; allowed: ${allowed.join(", ")}`]);
    }
    if (source.kind === "secret") return new JwtVerifier(new TextEncoder().encode(source.secret), algorithms, settings);
    if (source.kind === "jwks-url") {
      // Cached; an unknown `kid` refetches (at most once per cooldown), so a rotated key is picked up without a restart.
      const jwks = createRemoteJWKSet(new URL(source.url), { cooldownDuration: source.cooldownSeconds * 1000, timeoutDuration: 5000 });
      return new JwtVerifier(jwks, algorithms, settings);
    }
    let keys: JSONWebKeySet;
    try {
      keys = JSON.parse(await readFile(source.path, "utf8")) as JSONWebKeySet;
      return new JwtVerifier(createLocalJWKSet(keys), algorithms, settings);
    } catch (error) {
      throw new ConfigError([`MONEYPENNY_AUTH_JWKS_FILE ${source.path}: not a readable JSON Web Key Set: ${(error as Error).message}`]);
    }
  }

  async verify(token: string): Promise<VerifiedToken> {
    const options = {
      algorithms: this.algorithms,
      requiredClaims: ["exp"],
      clockTolerance: this.settings.clockToleranceSeconds,
      ...(this.settings.maxTokenAgeSeconds > 0 ? { maxTokenAge: this.settings.maxTokenAgeSeconds } : {}),
      ...(this.settings.issuer === undefined ? {} : { issuer: this.settings.issuer }),
      ...(this.settings.audience === undefined ? {} : { audience: this.settings.audience }),
    };
    try {
      const { payload } =
        this.key instanceof Uint8Array ? await jwtVerify(token, this.key, options) : await jwtVerify(token, this.key, options);
      return { subject: payload.sub, tokenId: payload.jti, scopes: scopesOf(payload), claims: payload };
    } catch (error) {
      throw judge(error);
    }
  }
}

function judge(error: unknown): Error {
  if (error instanceof errors.JWTExpired) return new TokenRejected("the token has expired");
  if (error instanceof errors.JWTClaimValidationFailed) return new TokenRejected(`the token's ${error.claim} claim is not acceptable: ${error.reason}`);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new TokenRejected("the token's signature does not verify");
  if (error instanceof errors.JOSEAlgNotAllowed) return new TokenRejected("the token is signed with an algorithm this service does not accept");
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) return new TokenRejected("the token is signed by a key this service does not know");
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return new KeySourceUnavailable(`the signing keys cannot be fetched: ${error.message}`);
  if (error instanceof errors.JOSEError) {
    // The JWKS endpoint answered something other than 200 OK.
    if (/JSON Web Key Set/.test(error.message)) return new KeySourceUnavailable(`the signing keys cannot be fetched: ${error.message}`);
    return new TokenRejected("the token is malformed");
  }
  if (error instanceof TypeError || (error instanceof Error && ["AbortError", "TimeoutError"].includes(error.name))) {
    // fetch() failed: the key set's URL cannot be reached.
    return new KeySourceUnavailable(`the signing keys cannot be fetched: ${error.message}`);
  }
  return new TokenRejected("the token is malformed");
}
