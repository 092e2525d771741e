import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/**
 * A JWKS endpoint on 127.0.0.1 for tests: publishes the public halves of its
 * keys, signs tokens with them, rotates to a new key, and can be taken down.
 */
export class JwksServer {
  #keys: SigningKey[] = [];
  #down = false;
  requests = 0;

  private constructor(private readonly server: Server) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }

  static async start(): Promise<JwksServer> {
    let jwks: JwksServer | undefined;
    const server = createServer((_request, response) => {
      jwks!.requests++;
      if (jwks!.#down) {
        response.writeHead(503).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: jwks!.#keys.map((k) => k.jwk) }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    jwks = new JwksServer(server);
    await jwks.rotate();
    return jwks;
  }

  /** Adds a new key and signs with it from now on (the old one stays published). */
  async rotate(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair("RS256");
    const kid = `key-${this.#keys.length + 1}`;
    this.#keys.push({ kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } });
    return kid;
  }

  set down(value: boolean) {
    this.#down = value;
  }

  /** A token signed with the newest key (or an unpublished one, with `unknownKey`). */
  async sign(claims: JWTPayload, options: { unknownKey?: boolean } = {}): Promise<string> {
    const key = options.unknownKey ? { kid: "nobody-knows", privateKey: (await generateKeyPair("RS256")).privateKey } : this.#keys.at(-1)!;
    return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: key.kid }).sign(key.privateKey);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
