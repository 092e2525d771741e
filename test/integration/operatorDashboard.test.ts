import test from "ava";
import { mintDevelopmentToken } from "@moneypenny/api";
import { Deployment, TEST_SECRET } from "../helpers/deployment.js";
import { RedisServer } from "../helpers/redisServer.js";

let redis: RedisServer;
test.before(async () => {
  redis = await RedisServer.start();
});
test.after.always(async () => {
  await redis?.stop();
});

const dossier = { username: "olga", uid: 3100, groups: [] };

function sessionCookie(response: Response): string {
  const cookie = response.headers.get("set-cookie") ?? "";
  return cookie.split(";")[0]!;
}

test("the dashboard: refused without a token (a browser is sent to the login form), refused without the operations scope, open with it", async (t) => {
  const mp = await Deployment.start(redis, { worker: false, env: { MONEYPENNY_OPERATIONS_SCOPE: "admin:queues" } });
  t.teardown(() => mp.stop());
  const browser = await mp.request("GET", "/moneypenny/admin/queues/", { token: null, headers: { accept: "text/html" } });
  t.is(browser.status, 302);
  t.is(browser.headers.get("location"), "/moneypenny/admin/login");
  t.is((await mp.request("GET", "/moneypenny/admin/queues/api/queues", { token: null })).status, 401);
  t.is((await mp.request("GET", "/moneypenny/admin/queues/api/queues")).status, 403, "the provision scope is not the operations scope here");
  const operator = await mintDevelopmentToken({ secret: TEST_SECRET, scope: "admin:queues" });
  const page = await mp.request("GET", "/moneypenny/admin/queues/", { token: operator });
  t.is(page.status, 200);
  t.regex(await page.text(), /<html/i);
  const queues = (await (await mp.request("GET", "/moneypenny/admin/queues/api/queues", { token: operator })).json()) as { queues: { name: string }[] };
  t.deepEqual(queues.queues.map((q) => q.name), ["orders"]);
});

test("the login form sets an HttpOnly, SameSite=Strict session cookie; writes with it must come from this site", async (t) => {
  const mp = await Deployment.start(redis);
  t.teardown(() => mp.stop());
  const origin = mp.api.url;
  // A failed order to retry.
  mp.executor!.failWith = { permanent: true, message: "root squash", times: 1 };
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("olga");
  t.is((await mp.status("olga")).body["status"], "failed");

  const form = await mp.request("GET", "/moneypenny/admin/login", { token: null });
  t.regex(await form.text(), /<form method="post"/);
  const refused = await mp.request("POST", "/moneypenny/admin/login", { token: null, body: "token=not-a-token", headers: { "content-type": "application/x-www-form-urlencoded", origin } });
  t.is(refused.status, 401);
  const crossSite = await mp.request("POST", "/moneypenny/admin/login", { token: null, body: `token=${mp.token}`, headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example.org" } });
  t.is(crossSite.status, 403);

  const login = await mp.request("POST", "/moneypenny/admin/login", { token: null, body: `token=${mp.token}`, headers: { "content-type": "application/x-www-form-urlencoded", origin } });
  t.is(login.status, 303);
  t.is(login.headers.get("location"), "/moneypenny/admin/queues/");
  const setCookie = login.headers.get("set-cookie") ?? "";
  t.regex(setCookie, /^moneypenny_operator=/);
  t.regex(setCookie, /httponly/i);
  t.regex(setCookie, /samesite=strict/i);
  t.regex(setCookie, /path=\/moneypenny\/admin/i);
  t.notRegex(setCookie, /secure/i, "not over plain http");
  const cookie = sessionCookie(login);

  t.is((await mp.request("GET", "/moneypenny/admin/queues/api/queues", { token: null, headers: { cookie } })).status, 200);
  t.is((await mp.request("GET", "/moneypenny/users/olga", { token: null, headers: { cookie } })).status, 401, "the cookie opens the operator pages only");
  const forged = await mp.request("PUT", "/moneypenny/admin/queues/api/queues/orders/commission-olga-1/retry", { token: null, headers: { cookie, origin: "https://evil.example.org" } });
  t.is(forged.status, 403);
  for (const [method, path] of [
    ["POST", "/api/queues/orders/add"],
    ["POST", "/api/queues/orders/ADD"],
    ["POST", "/api/queues/orders/Add"],
    ["PATCH", "/api/queues/orders/commission-olga-1/update-data"],
    ["PATCH", "/api/queues/orders/commission-olga-1/UPDATE-DATA"],
    ["PUT", "/api/queues/orders/obliterate"],
    ["PUT", "/api/queues/orders/empty"],
    ["DELETE", "/api/queues/orders/commission-olga-1"],
  ] as const) {
    const response = await mp.request(method, `/moneypenny/admin/queues${path}`, { token: null, headers: { cookie, origin, "content-type": "application/json" }, body: { name: "commission", data: { dossier: { username: "../x", uid: 0 } } } });
    t.is(response.status, 403, `${method} ${path}`);
  }
  t.is((await mp.jobs()).length, 1, "nothing was added");

  const events = await mp.queueEvents();
  t.teardown(() => events.close());
  const retried = await mp.request("PUT", "/moneypenny/admin/queues/api/queues/orders/commission-olga-1/retry", { token: null, headers: { cookie, origin, "content-type": "application/json" }, body: {} });
  t.is(retried.status, 204);
  await (await mp.queue.getJob("commission-olga-1"))!.waitUntilFinished(events);
  t.is((await mp.status("olga")).body["status"], "active", "bull-board's own retry moved the user to active");

  t.is((await mp.request("POST", "/moneypenny/admin/logout", { token: null, headers: { cookie, origin: "https://evil.example.org" } })).status, 403);
  const logout = await mp.request("POST", "/moneypenny/admin/logout", { token: null, headers: { cookie, origin } });
  t.is(logout.status, 303);
  t.regex(logout.headers.get("set-cookie") ?? "", /moneypenny_operator=;/);
});

test("behind a trusted https proxy the session cookie is Secure", async (t) => {
  const mp = await Deployment.start(redis, { worker: false, env: { MONEYPENNY_TRUST_PROXY: "true" } });
  t.teardown(() => mp.stop());
  const login = await mp.request("POST", "/moneypenny/admin/login", {
    token: null,
    body: `token=${mp.token}`,
    headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-proto": "https", "x-forwarded-host": "data.example.org", origin: "https://data.example.org" },
  });
  t.is(login.status, 303);
  t.regex(login.headers.get("set-cookie") ?? "", /;\s*secure/i);
});
