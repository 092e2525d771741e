import { writeFile } from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { SignJWT, exportJWK, generateKeyPair } from "jose";
import { mintDevelopmentToken } from "@moneypenny/api";
import { Deployment, TEST_SECRET } from "../helpers/deployment.js";
import { JwksServer } from "../helpers/jwksServer.js";
import { RedisServer } from "../helpers/redisServer.js";

let redis: RedisServer;
let jwks: JwksServer;
test.before(async () => {
  redis = await RedisServer.start();
  jwks = await JwksServer.start();
});
test.after.always(async () => {
  await jwks?.stop();
  await redis?.stop();
});

const ISSUER = "https://idp.example.org";
const AUDIENCE = "moneypenny";
const SELF = "user:self";
const dossier = { username: "lee", uid: 2900, groups: [] };
const now = () => Math.floor(Date.now() / 1000);

async function jwksDeployment(t: { teardown: (fn: () => Promise<void>) => void }, env: Record<string, string> = {}) {
  const mp = await Deployment.start(redis, {
    worker: false,
    env: {
      MONEYPENNY_AUTH_SECRET: "",
      MONEYPENNY_AUTH_JWKS_URL: jwks.url,
      MONEYPENNY_AUTH_JWKS_COOLDOWN: "0",
      MONEYPENNY_AUTH_ISSUER: ISSUER,
      MONEYPENNY_AUTH_AUDIENCE: AUDIENCE,
      MONEYPENNY_SELF_SERVICE_SCOPE: SELF,
      ...env,
    },
  });
  t.teardown(() => mp.stop());
  return mp;
}

const admin = () => ({ iss: ISSUER, aud: AUDIENCE, sub: "spawner", exp: now() + 300, scope: "admin:provision" });
const selfService = (extra: Record<string, unknown> = {}) => ({ iss: ISSUER, aud: AUDIENCE, sub: "lee", uid_number: 2900, gid_number: 2900, exp: now() + 300, scope: SELF, ...extra });

function tamper(token: string): string {
  const [header, , signature] = token.split(".");
  const payload = Buffer.from(JSON.stringify({ ...admin(), sub: "someone-else" })).toString("base64url");
  return `${header}.${payload}.${signature}`;
}

test("every kind of token gets the status it deserves (JWKS source)", async (t) => {
  const mp = await jwksDeployment(t);
  const hmac = await new SignJWT(admin()).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(TEST_SECRET));
  const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString("base64url")}.${Buffer.from(JSON.stringify(admin())).toString("base64url")}.`;
  const cases: [string, string | null, number, Record<string, unknown>?][] = [
    ["no token", null, 401],
    ["malformed", "abc.def", 401],
    ["alg: none", unsigned, 401],
    ["expired", await jwks.sign({ ...admin(), exp: now() - 3600 }), 401],
    ["nbf in the future", await jwks.sign({ ...admin(), nbf: now() + 3600 }), 401],
    ["wrong issuer", await jwks.sign({ ...admin(), iss: "https://evil.example.org" }), 401],
    ["wrong audience", await jwks.sign({ ...admin(), aud: "someone-else" }), 401],
    ["signed by an unknown key", await jwks.sign(admin(), { unknownKey: true }), 401],
    ["HS256 token against a key set", hmac, 401],
    ["payload tampered", tamper(await jwks.sign(admin())), 401],
    ["missing scope", await jwks.sign({ ...admin(), scope: "read:all" }), 403],
    ["substring scope", await jwks.sign({ ...admin(), scope: "admin:provisionX" }), 403],
    ["scope in the wrong claim type", await jwks.sign({ ...admin(), scope: ["admin:provision"] }), 403],
    ["scopes as an array", await jwks.sign({ ...admin(), scope: undefined, scopes: ["read:all", "admin:provision"] }), 303],
    ["self-service for another user", await jwks.sign(selfService({ sub: "mallory" })), 403],
    ["self-service with a forged uid", await jwks.sign(selfService({ uid_number: 2901 })), 403],
    ["self-service with a gid claim that is not a number", await jwks.sign(selfService({ gid_number: "2900" })), 403],
    ["valid admin token", await jwks.sign(admin()), 303],
    ["valid self-service token", await jwks.sign(selfService()), 303],
  ];
  for (const [name, token, expected] of cases) {
    const response = await mp.request("POST", "/moneypenny/users", { body: dossier, token });
    t.is(response.status, expected, name);
    if (expected >= 400) t.truthy(((await response.json()) as { error?: { message?: string } }).error?.message, `${name}: a JSON error`);
  }
  // A self-service token may read its own status, not someone else's, may not pick groups, and may not retire.
  const mine = await jwks.sign(selfService());
  t.is((await mp.request("POST", "/moneypenny/users", { body: { ...dossier, groups: [{ name: "projadmins", id: 5000 }] }, token: mine })).status, 403);
  t.is((await mp.request("GET", "/moneypenny/users/lee", { token: mine })).status, 200);
  t.is((await mp.request("GET", "/moneypenny/users/other", { token: mine })).status, 403);
  t.is((await mp.request("POST", "/moneypenny/users/lee/retire", { token: mine })).status, 403);
});

test("key rotation: a token signed with a new key passes without a restart", async (t) => {
  const mp = await jwksDeployment(t);
  t.is((await mp.request("GET", "/moneypenny/users/nobody", { token: await jwks.sign(admin()) })).status, 404);
  await jwks.rotate();
  t.is((await mp.request("GET", "/moneypenny/users/nobody", { token: await jwks.sign(admin()) })).status, 404);
});

test("the key set unreachable with nothing cached: 503, never a pass", async (t) => {
  const down = await JwksServer.start();
  t.teardown(() => down.stop());
  const token = await down.sign(admin());
  down.down = true;
  const mp = await jwksDeployment(t, { MONEYPENNY_AUTH_JWKS_URL: down.url });
  const response = await mp.request("GET", "/moneypenny/users/nobody", { token });
  t.is(response.status, 503);
  t.like(await response.json(), { error: { code: "key_source_unavailable" } });
  const login = await mp.request("POST", "/moneypenny/admin/login", { token: null, body: `token=${token}`, headers: { "content-type": "application/x-www-form-urlencoded", origin: mp.api.url } });
  t.is(login.status, 503, "the login form too");
});

test("a JWKS file source, and an asymmetric token refused by a shared secret", async (t) => {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const file = path.join(redis.dataDir, "jwks.json");
  await writeFile(file, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: "file-key", alg: "ES256" }] }));
  const mp = await jwksDeployment(t, { MONEYPENNY_AUTH_JWKS_URL: "", MONEYPENNY_AUTH_JWKS_FILE: file });
  const token = await new SignJWT(admin()).setProtectedHeader({ alg: "ES256", kid: "file-key" }).sign(privateKey);
  t.is((await mp.request("GET", "/moneypenny/users/nobody", { token })).status, 404);

  const secretOnly = await Deployment.start(redis, { worker: false });
  t.teardown(() => secretOnly.stop());
  t.is((await secretOnly.request("GET", "/moneypenny/users/nobody", { token })).status, 401);
});

test("tokens only from the Authorization header; oversized headers refused unread", async (t) => {
  const mp = await Deployment.start(redis, { worker: false });
  t.teardown(() => mp.stop());
  const token = await mintDevelopmentToken({ secret: TEST_SECRET, scope: "admin:provision" });
  t.is((await mp.request("GET", `/moneypenny/users/nobody?access_token=${token}&token=${token}`, { token: null })).status, 401);
  t.is((await mp.request("GET", "/moneypenny/users/nobody", { token: null, headers: { cookie: `token=${token}` } })).status, 401);
  const huge = await mp.request("GET", "/moneypenny/users/nobody", { token: `${token}${"x".repeat(20 * 1024)}` });
  t.true([400, 431].includes(huge.status), `got ${huge.status}`);
});

test("failed authentications are limited per client: 429 with Retry-After; a valid token always passes", async (t) => {
  const mp = await Deployment.start(redis, { worker: false, env: { MONEYPENNY_AUTH_FAILURE_LIMIT: "3", MONEYPENNY_AUTH_FAILURE_WINDOW: "60", MONEYPENNY_TRUST_PROXY: "true" } });
  t.teardown(() => mp.stop());
  const forge = (sub: string) => new SignJWT({ sub, scope: "admin:provision", exp: now() + 60 }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode("x".repeat(40)));
  // The test token's subject is moneypenny-dev: forged tokens claim it too.
  const forged = await forge("moneypenny-dev");
  for (let i = 0; i < 3; i++) t.is((await mp.request("GET", "/moneypenny/users/nobody", { token: forged })).status, 401);
  const limited = await mp.request("GET", "/moneypenny/users/nobody", { token: forged });
  t.is(limited.status, 429);
  t.truthy(limited.headers.get("retry-after"));
  t.is((await mp.request("GET", "/moneypenny/users/nobody")).status, 404, "the real moneypenny-dev is not locked out");
  // A spoofed X-Forwarded-For does not make a new client: the proxy's own entry (the last) counts.
  const spoofed = await mp.request("GET", "/moneypenny/users/nobody", { token: forged, headers: { "x-forwarded-for": "203.0.113.7, 127.0.0.1" } });
  t.is(spoofed.status, 429);
});

test("every request leaves one audit line: subject, token id, scope, route, user, client, outcome; never the token", async (t) => {
  const mp = await Deployment.start(redis, { worker: false, captureApiLogs: true });
  t.teardown(() => mp.stop());
  const token = await new SignJWT({ sub: "spawner", jti: "token-42", scope: "admin:provision", exp: now() + 60 })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(TEST_SECRET));
  await mp.request("POST", "/moneypenny/users", { body: dossier, token });
  await mp.request("GET", "/moneypenny/users/lee", { token: "garbage" });
  const audits = mp.apiLogs.filter((line) => line["audit"] !== undefined).map((line) => line["audit"] as Record<string, unknown>);
  t.is(audits.length, 2, "one line per request");
  t.like(audits[0], { method: "POST", route: "/moneypenny/users", subject: "spawner", jti: "token-42", scope: "admin:provision", username: "lee", client: "127.0.0.1", status: 303, outcome: "accepted" });
  t.like(audits[1], { method: "GET", route: "/moneypenny/users/:username", status: 401, outcome: "refused" });
  t.false(JSON.stringify(mp.apiLogs).includes(token), "the token is never logged");
});
