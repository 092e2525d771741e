import { SignJWT } from "jose";

export interface DevelopmentTokenOptions {
  secret: string;
  scope: string;
  subject?: string;
  issuer?: string;
  audience?: string;
  /** Lifetime, in jose's words: "30d", "1h", or seconds. */
  expiresIn?: string | number;
}

/** An HS256 token for development and tests; production tokens come from the platform's identity service. */
export function mintDevelopmentToken(options: DevelopmentTokenOptions): Promise<string> {
  const jwt = new SignJWT({ scope: options.scope })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(options.subject ?? "moneypenny-dev")
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "30d");
  if (options.issuer !== undefined) jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
