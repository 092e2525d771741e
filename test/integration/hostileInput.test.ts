import { Agent, request } from "node:http";
import { readdir } from "node:fs/promises";
import test from "ava";
import fc from "fast-check";
import { Deployment } from "../helpers/deployment.js";
import { RedisServer } from "../helpers/redisServer.js";

// 10,000 generated requests with a fixed seed in the normal suite. To search
// longer: FUZZ_RUNS=200000 FUZZ_SEED=random npm test -- test/integration/hostileInput.test.ts
const runs = Number(process.env["FUZZ_RUNS"] ?? 10_000);
const seed = process.env["FUZZ_SEED"] === "random" ? Date.now() : Number(process.env["FUZZ_SEED"] ?? 20261204);

let redis: RedisServer;
test.before(async () => {
  redis = await RedisServer.start();
});
test.after.always(async () => {
  agent.destroy(); // its kept-alive sockets must not keep this file's process alive
  await redis?.stop();
});

interface RawResponse {
  status: number;
  contentType: string;
  body: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** A request sent as it is: no URL normalisation, any method, any body (always with its length, as HTTP/1.1 needs). */
function send(base: URL, method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"] ?? "", body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    if (body !== undefined) req.setHeader("content-length", Buffer.byteLength(body));
    req.end(body);
  });
}

const hostileNames = fc.oneof(
  fc.constantFrom("..", ".", "a/b", "../etc", "%2e%2e", "a\u0000b", "\u0430dmin", "ａｄｍｉｎ", "-rf", "a".repeat(33), "", "ROOT", "a b", "a:b", "a\\b", "~root", "$(id)"),
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^[a-z_][a-z0-9_-]{0,31}$/),
);
const hostileIds = fc.oneof(
  fc.constantFrom(0, -1, 999, 1.5, 2 ** 31, 2 ** 32, 1e308, Number.MAX_SAFE_INTEGER, "1000", null, true, [], {}),
  fc.integer(),
  fc.double(),
  fc.integer({ min: 1000, max: 2 ** 31 - 1 }),
);
const groups = fc.oneof(
  fc.array(fc.record({ name: hostileNames, id: hostileIds }), { maxLength: 5 }),
  fc.constant(Array.from({ length: 10_000 }, (_, i) => ({ name: `g${i}`, id: 5000 + i }))),
  fc.constant([{ name: "dup", id: 3000 }, { name: "dup", id: 3000 }]),
  fc.constantFrom("groups", null, 42, [[]], [{}]),
);
const dossier = fc.record(
  { username: hostileNames, uid: hostileIds, gid: hostileIds, groups, extra: fc.jsonValue({ maxDepth: 2 }) },
  { requiredKeys: [] },
);
// Some valid dossiers among the hostile ones, so that acceptance is exercised too.
const validDossier = fc.record({
  username: fc.stringMatching(/^[a-z_][a-z0-9_-]{0,31}$/),
  uid: fc.integer({ min: 1000, max: 2 ** 31 - 1 }),
  groups: fc.constant([]),
});
const body = fc.oneof(
  validDossier.map((d) => JSON.stringify(d)),
  dossier.map((d) => JSON.stringify(d)),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.integer({ min: 1, max: 20_000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.constant(JSON.stringify({ username: "big", uid: 2000, groups: [], pad: "x".repeat(70 * 1024) })),
  fc.constant(undefined),
);
const path = fc.oneof(
  fc.constant("/moneypenny/users"),
  hostileNames.map((n) => `/moneypenny/users/${encodeURIComponent(n)}`),
  hostileNames.map((n) => `/moneypenny/users/${encodeURIComponent(n)}/wait?timeout=0.01`),
  hostileNames.map((n) => `/moneypenny/users/${encodeURIComponent(n)}/retire`),
  fc.constantFrom("/moneypenny/users/../../etc/passwd", "/moneypenny/users/%2e%2e/retire", "/moneypenny/users/a%2fb", "/moneypenny/users/a%00b", "/moneypenny//users", "/moneypenny/users/x/wait?timeout=-1", "/moneypenny/users/x/wait?timeout=1e400"),
  fc.webPath().map((p) => `/moneypenny${p}`),
  fc.constantFrom("/moneypenny/admin/queues/api/queues/orders/ADD", "/moneypenny/admin/queues/api/queues/orders/add", "/moneypenny/admin/login", "/moneypenny/admin/logout", "/moneypenny/jobs", "/moneypenny/jobs/retry"),
);
const credentials = fc.constantFrom("valid", "valid", "valid", "none", "garbage", "cookie");
const hostileRequest = fc.record({
  credentials,
  method: fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"),
  path,
  contentType: fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "", "application/x-www-form-urlencoded", "application/merge-patch+json"),
  body,
});

test("10,000 hostile requests: never a 5xx, always a JSON error naming the problem, nothing written for a refused one, nothing outside the home root", async (t) => {
  const mp = await Deployment.start(redis);
  t.teardown(() => mp.stop());
  const base = new URL(mp.api.url);
  const accepted = new Set<string>();
  t.log(`seed ${seed}, ${runs} runs`);

  await fc.assert(
    fc.asyncProperty(hostileRequest, async ({ credentials, method, path, contentType, body }) => {
      const headers: Record<string, string> = {};
      if (credentials === "valid") headers["authorization"] = `Bearer ${mp.token}`;
      if (credentials === "garbage") headers["authorization"] = "Bearer not.a.token";
      if (credentials === "cookie") headers["cookie"] = `moneypenny_operator=${mp.token}`;
      if (contentType !== "") headers["content-type"] = contentType;
      const response = await send(base, method, path, headers, method === "GET" || method === "HEAD" ? undefined : body);
      if (response.status >= 500) throw new Error(`${method} ${path} → ${response.status} ${response.body}`);
      // The login form answers a refused token with its HTML page; everything else with a JSON error.
      if (response.status >= 400 && method !== "HEAD" && !(path === "/moneypenny/admin/login" && response.status === 401)) {
        const parsed = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown; key?: unknown } };
        // bull-board's own API, once past our guard, names its errors by an i18n key.
        const dashboardError = path.startsWith("/moneypenny/admin/queues/") && typeof parsed.error?.key === "string";
        if (!dashboardError && (typeof parsed.error?.code !== "string" || typeof parsed.error.message !== "string" || parsed.error.message === "")) {
          throw new Error(`${method} ${path} → ${response.status} without a JSON error: ${response.body}`);
        }
      }
      if (method === "POST" && path === "/moneypenny/users" && response.status === 303 && credentials === "valid") {
        accepted.add((JSON.parse(body ?? "{}") as { username: string }).username);
      }
    }),
    { numRuns: runs, seed },
  );

  // Only accepted requests left records, jobs and homes behind.
  const prefix = mp.env["MONEYPENNY_QUEUE_PREFIX"]!;
  const recordKeys = await mp.redis.keys(`${prefix}:user:*`);
  const recorded = new Set(recordKeys.map((k) => k.slice(`${prefix}:user:`.length)));
  for (const name of recorded) t.true(accepted.has(name), `a record for ${JSON.stringify(name)}, which was never accepted`);
  const jobs = await mp.jobs();
  for (const job of jobs) t.true([...accepted].some((name) => job.id?.startsWith(`commission-${name}-`) || job.id?.startsWith(`retire-${name}-`)), `job ${job.id}`);
  for (const entry of await readdir(mp.homeRoot)) t.true(accepted.has(entry) || entry.startsWith(".moneypenny"), `home ${entry}`);
  t.deepEqual((await readdir(mp.dir)).sort(), ["archive", "homes"], "nothing was created beside the home root");
  t.log(`${accepted.size} valid dossiers among them`);
});
