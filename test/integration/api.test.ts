import { once } from "node:events";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { SignJWT } from "jose";
import { mintDevelopmentToken } from "@moneypenny/api";
import { Deployment, SCOPE, TEST_SECRET } from "../helpers/deployment.js";
import { RedisServer } from "../helpers/redisServer.js";

let redis: RedisServer;
test.before(async () => {
  redis = await RedisServer.start();
});
test.after.always(async () => {
  await redis?.stop();
});

const dossier = { username: "bob", uid: 2100, groups: [{ name: "science", id: 3000 }] };

async function deployment(t: { teardown: (fn: () => Promise<void>) => void }, options: Parameters<typeof Deployment.start>[1] = {}) {
  const mp = await Deployment.start(redis, options);
  t.teardown(() => mp.stop());
  return mp;
}

async function errorOf(response: Response): Promise<{ code: string; message: string; field?: string }> {
  t_assertJson(response);
  return ((await response.json()) as { error: { code: string; message: string; field?: string } }).error;
}

function t_assertJson(response: Response): void {
  if (!response.headers.get("content-type")?.startsWith("application/json")) {
    throw new Error(`expected a JSON answer, got ${response.headers.get("content-type")}`);
  }
}

test("GET /moneypenny/ answers name and version without authentication", async (t) => {
  const mp = await deployment(t, { worker: false });
  const response = await mp.request("GET", "/moneypenny/", { token: null });
  t.is(response.status, 200);
  t.like(await response.json(), { name: "moneypenny", version: "0.1.0" });
});

test("authentication: 401 without or with a bad token, 403 without the exact scope", async (t) => {
  const mp = await deployment(t, { worker: false });
  const key = new TextEncoder().encode(TEST_SECRET);
  const sign = (claims: Record<string, unknown>, secret: Uint8Array = key) => {
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuedAt();
    return jwt.sign(secret);
  };
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, string | null, number][] = [
    ["no token", null, 401],
    ["malformed", "not-a-jwt", 401],
    ["another secret", await sign({ scope: SCOPE, exp: now + 60 }, new TextEncoder().encode("x".repeat(40))), 401],
    ["expired", await sign({ scope: SCOPE, exp: now - 60 }), 401],
    ["no exp", await sign({ scope: SCOPE }), 401],
    ["unsigned (alg none)", `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ scope: SCOPE, exp: now + 60 })).toString("base64url")}.`, 401],
    ["no scope", await sign({ exp: now + 60 }), 403],
    ["another scope", await sign({ scope: "read:all", exp: now + 60 }), 403],
    ["a longer scope that contains it", await sign({ scope: `${SCOPE}X read:all`, exp: now + 60 }), 403],
    ["the scope among others", await sign({ scope: `read:all ${SCOPE}`, exp: now + 60 }), 404],
  ];
  for (const [name, token, expected] of cases) {
    const response = await mp.request("GET", "/moneypenny/users/nobody", { token });
    t.is(response.status, expected, name);
    t_assertJson(response);
  }
  const unauthenticated = await mp.request("GET", "/moneypenny/users/nobody", { token: null });
  t.regex(unauthenticated.headers.get("www-authenticate") ?? "", /^Bearer/);
  t.is((await errorOf(unauthenticated)).code, "unauthenticated");
});

test("issuer and audience are enforced when configured", async (t) => {
  const mp = await deployment(t, { worker: false, env: { MONEYPENNY_AUTH_ISSUER: "https://gafaelfawr", MONEYPENNY_AUTH_AUDIENCE: "moneypenny" } });
  const mint = (issuer?: string, audience?: string) =>
    mintDevelopmentToken({ secret: TEST_SECRET, scope: SCOPE, ...(issuer ? { issuer } : {}), ...(audience ? { audience } : {}) });
  t.is((await mp.request("GET", "/moneypenny/users/x", { token: await mint() })).status, 401);
  t.is((await mp.request("GET", "/moneypenny/users/x", { token: await mint("https://evil", "moneypenny") })).status, 401);
  t.is((await mp.request("GET", "/moneypenny/users/x", { token: await mint("https://gafaelfawr", "other") })).status, 401);
  t.is((await mp.request("GET", "/moneypenny/users/x", { token: await mint("https://gafaelfawr", "moneypenny") })).status, 404);
});

test("bad requests get JSON errors naming the problem, and change nothing", async (t) => {
  const mp = await deployment(t, { worker: false });
  const post = (body: string, contentType = "application/json") =>
    mp.request("POST", "/moneypenny/users", { body, headers: { "content-type": contentType } });

  let response = await post(JSON.stringify(dossier), "text/plain");
  t.is(response.status, 415);
  t.is((await errorOf(response)).code, "unsupported_media_type");

  response = await post("{not json");
  t.is(response.status, 400);
  t.is((await errorOf(response)).code, "invalid_json");

  response = await post(JSON.stringify({ ...dossier, padding: "x".repeat(70 * 1024) }));
  t.is(response.status, 413);

  response = await post(JSON.stringify({ ...dossier, uid: 0 }));
  t.is(response.status, 422);
  t.like(await errorOf(response), { code: "invalid_field", field: "uid" });

  response = await post(JSON.stringify({ ...dossier, username: "../root" }));
  t.like(await errorOf(response), { field: "username" });

  response = await post(JSON.stringify({ ...dossier, groups: [{ name: "g", id: "3000" }] }));
  t.like(await errorOf(response), { field: "groups.0.id" });

  response = await post(JSON.stringify({ ...dossier, home: "/etc" }));
  t.is(response.status, 422);
  t.like(await errorOf(response), { field: "home" });

  response = await post("[]");
  t.is(response.status, 422);

  response = await mp.request("POST", "/moneypenny/users");
  t.is(response.status, 415, "no body at all");

  response = await mp.request("GET", "/moneypenny/users/Not..Valid");
  t.is(response.status, 422);
  t.like(await errorOf(response), { field: "username" });

  response = await mp.request("GET", "/moneypenny/users/bob/wait?timeout=soon");
  t.like(await errorOf(response), { field: "timeout" });

  t.deepEqual(await mp.jobs(), [], "no job was enqueued");
  t.is(await mp.redis.exists(`${mp.env["MONEYPENNY_QUEUE_PREFIX"]}:user:bob`), 0, "no record was written");
});

test("unknown routes answer 404 and wrong methods 405, as JSON", async (t) => {
  const mp = await deployment(t, { worker: false });
  let response = await mp.request("GET", "/moneypenny/nothing-here");
  t.is(response.status, 404);
  t.is((await errorOf(response)).code, "not_found");
  response = await mp.request("GET", "/elsewhere", { token: null });
  t.is(response.status, 404);
  response = await mp.request("DELETE", "/moneypenny/users/bob");
  t.is(response.status, 405);
  t.is((await errorOf(response)).code, "method_not_allowed");
  t.regex(response.headers.get("allow") ?? "", /GET/);
  response = await mp.request("PUT", "/moneypenny/users", { body: dossier });
  t.is(response.status, 405);
});

test("the record exists before the 303 is sent: a GET right after never answers 404", async (t) => {
  const mp = await deployment(t, { worker: false });
  for (let i = 0; i < 20; i++) {
    const username = `race${i}`;
    const posted = await mp.request("POST", "/moneypenny/users", { body: { ...dossier, username } });
    t.is(posted.status, 303);
    const { status, body } = await mp.status(username);
    t.is(status, 200);
    t.is(body["status"], "commissioning");
  }
});

test("the status carries the dossier, the job id and the time of the last change", async (t) => {
  const mp = await deployment(t, { worker: false });
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  const { body } = await mp.status("bob");
  t.like(body, { username: "bob", status: "commissioning", uid: 2100, gid: 2100, groups: [{ name: "science", id: 3000 }], job_id: "commission-bob-1" });
  t.false(Number.isNaN(Date.parse(String(body["last_changed"]))));
  t.is((await mp.request("GET", "/moneypenny/users/nobody")).status, 404);
});

test("100 identical POSTs in parallel make exactly one job and one provisioning", async (t) => {
  const mp = await deployment(t, { worker: false });
  const answers = await Promise.all(Array.from({ length: 100 }, () => mp.request("POST", "/moneypenny/users", { body: dossier })));
  t.deepEqual(new Set(answers.map((r) => r.status)), new Set([303]));
  t.deepEqual(await mp.jobs(), [{ id: "commission-bob-1", name: "commission" }]);
  const executor = await mp.startWorker();
  t.is(await mp.wait("bob"), 307);
  t.is((await mp.status("bob")).body["status"], "active");
  t.deepEqual(executor.runs, [{ order: "commission", usernames: ["bob"] }]);
});

test("commission rules: active with the same dossier runs nothing; a different one commissions again; a conflicting one waits its turn", async (t) => {
  const mp = await deployment(t);
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("bob");
  t.is((await mp.status("bob")).body["status"], "active");

  // Same dossier (groups in another order): 303 at once, no job.
  const again = await mp.request("POST", "/moneypenny/users", { body: { ...dossier, groups: [...dossier.groups].reverse() } });
  t.is(again.status, 303);
  t.is((await mp.jobs()).length, 1);

  // While one commission runs: the same dossier joins it, a different one is refused.
  mp.executor!.hold();
  const started = mp.executor!.nextStart();
  const changed = { ...dossier, groups: [...dossier.groups, { name: "extra", id: 3001 }] };
  t.is((await mp.request("POST", "/moneypenny/users", { body: changed })).status, 303);
  await started;
  t.is((await mp.request("POST", "/moneypenny/users", { body: changed })).status, 303);
  const conflict = await mp.request("POST", "/moneypenny/users", { body: dossier });
  t.is(conflict.status, 409);
  t.like(await errorOf(conflict), { code: "order_in_progress" });
  const retireConflict = await mp.request("POST", "/moneypenny/users/bob/retire");
  t.is(retireConflict.status, 409);
  mp.executor!.release();
  await mp.wait("bob");
  t.like((await mp.status("bob")).body, { status: "active", job_id: "commission-bob-2" });
  t.is((await mp.jobs()).length, 2);
});

test("a permanent failure shows as failed with the reason; the next POST tries again", async (t) => {
  const mp = await deployment(t);
  mp.executor!.failWith = { permanent: true, message: "the home root is read-only", times: 1 };
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  t.is(await mp.wait("bob"), 307);
  const failed = (await mp.status("bob")).body;
  t.is(failed["status"], "failed");
  t.regex(String(failed["error"]), /read-only/);

  t.is((await mp.request("POST", "/moneypenny/users", { body: dossier })).status, 303);
  await mp.wait("bob");
  const active = (await mp.status("bob")).body;
  t.is(active["status"], "active");
  t.is(active["error"], undefined);
});

test("transient failures are retried with backoff until they pass", async (t) => {
  const mp = await deployment(t);
  mp.executor!.failWith = { permanent: false, message: "NFS server not responding", times: 2 };
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("bob");
  t.is((await mp.status("bob")).body["status"], "active");
  t.is(mp.executor!.runs.length, 3);
});

test("transient failures that never pass end as failed after the configured attempts", async (t) => {
  const mp = await deployment(t, { env: { MONEYPENNY_JOB_ATTEMPTS: "3" } });
  mp.executor!.failWith = { permanent: false, message: "NFS server not responding", times: 99 };
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("bob");
  const { body } = await mp.status("bob");
  t.is(body["status"], "failed");
  t.regex(String(body["error"]), /NFS server not responding \(gave up after 3 attempts\)/);
  t.is(mp.executor!.runs.length, 3);
});

test("retire: 404 unknown, 303 then the user is forgotten and the home archived", async (t) => {
  const mp = await deployment(t);
  t.is((await mp.request("POST", "/moneypenny/users/bob/retire")).status, 404);
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("bob");
  t.truthy(await stat(path.join(mp.homeRoot, "bob")));

  const wrongBody = await mp.request("POST", "/moneypenny/users/bob/retire", { body: { ...dossier, username: "carol" } });
  t.is(wrongBody.status, 422);

  mp.executor!.hold();
  const retired = await mp.request("POST", "/moneypenny/users/bob/retire", { body: dossier });
  t.is(retired.status, 303);
  t.is(retired.headers.get("location"), `${mp.api.url}/moneypenny/users/bob`);
  t.is((await mp.status("bob")).body["status"], "retiring");
  t.is((await mp.request("POST", "/moneypenny/users/bob/retire")).status, 303, "a retire in progress is joined");
  t.is((await mp.request("POST", "/moneypenny/users", { body: dossier })).status, 409, "no commission during a retire");
  mp.executor!.release();

  t.is(await mp.wait("bob"), 307);
  t.is((await mp.status("bob")).status, 404);
  t.deepEqual(await readdir(mp.homeRoot), []);
  const archived = await readdir(mp.archiveRoot);
  t.is(archived.length, 1);
  t.regex(archived[0]!, /^bob-\d{8}T\d{6}Z$/);
  t.is(mp.executor!.runs.filter((r) => r.order === "retire").length, 1);
});

test("wait answers 307 at once when settled, 404 for an unknown user, and 307 on time-out with the order still in progress", async (t) => {
  const mp = await deployment(t, { worker: false });
  t.is(await mp.wait("nobody"), 404);
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  const started = Date.now();
  const response = await mp.request("GET", "/moneypenny/users/bob/wait?timeout=0.3");
  t.is(response.status, 307);
  t.true(Date.now() - started >= 250, "it waited for the time-out");
  t.is(response.headers.get("location"), `${mp.api.url}/moneypenny/users/bob`);
  t.is((await mp.status("bob")).body["status"], "commissioning");

  await mp.startWorker();
  t.is(await mp.wait("bob"), 307);
  t.is(await mp.wait("bob"), 307, "settled: at once");
});

// Serial, so that the other tests of this file do not share its event loop while it measures.
test.serial("wait is woken by the order settling, not by polling (within 200 ms)", async (t) => {
  const mp = await deployment(t);
  mp.executor!.hold();
  const started = mp.executor!.nextStart();
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await started;
  let sleeps = 0;
  mp.api.waiter.events.on("blocked", () => sleeps++);
  const asleep = once(mp.api.waiter.events, "blocked");
  const waiting = mp.request("GET", "/moneypenny/users/bob/wait?timeout=60");
  await asleep; // the long poll has read the record and is waiting for an event
  const released = performance.now();
  mp.executor!.release();
  const response = await waiting;
  const latency = performance.now() - released;
  t.log(`woken ${latency.toFixed(1)} ms after the order was released`);
  t.is(response.status, 307);
  t.is((await mp.status("bob")).body["status"], "active");
  t.is(sleeps, 1, "it slept once, until the event: no polling");
  t.true(latency < 200);
});

test("the wait time-out is capped by MONEYPENNY_WAIT_TIMEOUT", async (t) => {
  const mp = await deployment(t, { worker: false, env: { MONEYPENNY_WAIT_TIMEOUT: "1" } });
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  const started = Date.now();
  t.is(await mp.wait("bob", 3600), 307);
  const waited = Date.now() - started;
  t.true(waited >= 900 && waited < 3000, `waited ${waited} ms`);
});

test("an empty JSON body is a 400 that says so", async (t) => {
  const mp = await deployment(t, { worker: false });
  const response = await mp.request("POST", "/moneypenny/users", { headers: { "content-type": "application/json", "content-length": "0" } });
  t.is(response.status, 400);
  t.regex((await errorOf(response)).message, /empty/);
});

test("redirects use X-Forwarded-Proto/Host only when MONEYPENNY_TRUST_PROXY is set", async (t) => {
  const forwarded = { "x-forwarded-proto": "https", "x-forwarded-host": "data.example.org" };
  const untrusting = await deployment(t, { worker: false });
  let response = await untrusting.request("POST", "/moneypenny/users", { body: dossier, headers: forwarded });
  t.is(response.headers.get("location"), `${untrusting.api.url}/moneypenny/users/bob`);

  const trusting = await deployment(t, { worker: false, env: { MONEYPENNY_TRUST_PROXY: "true" } });
  response = await trusting.request("POST", "/moneypenny/users", { body: dossier, headers: forwarded });
  t.is(response.headers.get("location"), "https://data.example.org/moneypenny/users/bob");
});
