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

const failOnce = (mp: Deployment, times: number) => {
  mp.executor!.failWith = { permanent: true, message: "the NFS export squashes root", times };
};

test("queue operations: list, show, retry one, retry all; the user records follow", async (t) => {
  const mp = await Deployment.start(redis);
  t.teardown(() => mp.stop());
  const events = await mp.queueEvents();
  t.teardown(() => events.close());
  failOnce(mp, 3);
  for (const [index, username] of ["ann", "ben", "cid"].entries()) {
    await mp.request("POST", "/moneypenny/users", { body: { username, uid: 4000 + username.charCodeAt(0), groups: [] }, headers: { "x-request-id": `req-${username}` } });
    // The record says failed before BullMQ has moved the job: wait for the queue's own word.
    await t.throwsAsync((await mp.queue.getJob(`commission-${username}-${index + 1}`))!.waitUntilFinished(events));
  }

  const listed = (await (await mp.request("GET", "/moneypenny/jobs?state=failed&order=commission&limit=2")).json()) as { jobs: { id: string; username: string; state: string; failed_reason: string }[]; next_cursor?: string };
  t.is(listed.jobs.length, 2);
  t.truthy(listed.next_cursor);
  t.true(listed.jobs.every((j) => j.state === "failed" && /squashes root/.test(j.failed_reason)));
  const rest = (await (await mp.request("GET", `/moneypenny/jobs?state=failed&limit=2&cursor=${listed.next_cursor}`)).json()) as { jobs: { username: string }[]; next_cursor?: string };
  t.is(rest.jobs.length, 1);
  t.is(rest.next_cursor, undefined);
  t.deepEqual([...listed.jobs, ...rest.jobs].map((j) => j.username).sort(), ["ann", "ben", "cid"]);

  const detail = (await (await mp.request("GET", "/moneypenny/jobs/commission-ann-1")).json()) as Record<string, unknown>;
  t.like(detail, { id: "commission-ann-1", order: "commission", username: "ann", state: "failed", request_id: "req-ann", dossier: { username: "ann" } });
  t.true((detail["logs"] as string[]).some((line) => /squashes root/.test(line)), "the worker's job log lines");
  t.true((detail["stacktrace"] as string[]).length > 0);

  t.is((await mp.request("GET", "/moneypenny/jobs/nothing-1")).status, 404);
  t.is((await mp.request("GET", "/moneypenny/jobs?state=broken")).status, 422);
  const retried = await mp.request("POST", "/moneypenny/jobs/commission-ann-1/retry");
  t.is(retried.status, 202);
  await (await mp.queue.getJob("commission-ann-1"))!.waitUntilFinished(events);
  t.is((await mp.status("ann")).body["status"], "active");
  t.is((await mp.request("POST", "/moneypenny/jobs/commission-ann-1/retry")).status, 409, "not failed any more");

  const all = await mp.request("POST", "/moneypenny/jobs/retry", { body: { state: "failed", order: "commission" } });
  t.deepEqual(await all.json(), { retried: 2 });
  for (const id of ["commission-ben-2", "commission-cid-3"]) await (await mp.queue.getJob(id))!.waitUntilFinished(events);
  t.is((await mp.status("ben")).body["status"], "active");
  t.is((await mp.status("cid")).body["status"], "active");
  t.deepEqual(await (await mp.request("POST", "/moneypenny/jobs/retry", { body: { state: "failed", olderThan: "2000-01-01T00:00:00Z" } })).json(), { retried: 0 });
});

test("queue operations need the operations scope", async (t) => {
  const mp = await Deployment.start(redis, { worker: false, env: { MONEYPENNY_OPERATIONS_SCOPE: "admin:queues" } });
  t.teardown(() => mp.stop());
  t.is((await mp.request("GET", "/moneypenny/jobs", { token: null })).status, 401);
  t.is((await mp.request("GET", "/moneypenny/jobs")).status, 403);
  const operator = await mintDevelopmentToken({ secret: TEST_SECRET, scope: "admin:queues" });
  t.is((await mp.request("GET", "/moneypenny/jobs", { token: operator })).status, 200);
  t.is((await mp.request("POST", "/moneypenny/users", { token: operator, body: { username: "x", uid: 5000, groups: [] } })).status, 403, "and it does not provision");
});
