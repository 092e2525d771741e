import test from "ava";
import { UnrecoverableError, Worker } from "bullmq";
import { QUEUE_NAME } from "@moneypenny/shared";
import { Deployment } from "../helpers/deployment.js";
import { RedisServer } from "../helpers/redisServer.js";

// Each test restarts things, so each has a Redis of its own.
async function setUp(t: { teardown: (fn: () => Promise<void>) => void }, options: Parameters<typeof Deployment.start>[1] = {}) {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const mp = await Deployment.start(redis, options);
  t.teardown(() => mp.stop());
  return { redis, mp };
}

/**
 * After a Redis restart the API answers 503 until ioredis has reconnected (it
 * fails fast rather than queue requests). Nothing outside the API signals
 * that moment, so this asks again, briefly, until the answer is not 503.
 */
async function untilAvailable(request: () => Promise<Response>): Promise<Response> {
  for (let i = 0; ; i++) {
    const response = await request();
    // Up to 15 s: ioredis's reconnection backoff grows to 2 s while Redis is down, and CI is busy.
    if (response.status !== 503 || i === 300) return response;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const dossier = { username: "hana", uid: 2600, groups: [{ name: "lab", id: 3100 }] };

test("records survive restarts of the API, the worker and Redis (AOF)", async (t) => {
  const { redis, mp } = await setUp(t);
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("hana");
  const before = (await mp.status("hana")).body;
  t.is(before["status"], "active");

  await mp.api.close();
  await mp.stopWorker();
  await mp.startApi();
  await mp.startWorker();
  t.deepEqual((await mp.status("hana")).body, before);

  await redis.restart();
  await untilAvailable(() => mp.request("GET", "/moneypenny/"));
  const after = await untilAvailable(() => mp.request("GET", "/moneypenny/users/hana"));
  t.deepEqual(await after.json(), before, "the API reconnected, and the record came back from the AOF");
  // The restarted stack still works end to end.
  t.is((await mp.request("POST", "/moneypenny/users/hana/retire")).status, 303);
  await mp.wait("hana");
  t.is((await mp.status("hana")).status, 404);
});

test("an order accepted while no worker runs is done by the worker that starts later, even across a Redis restart", async (t) => {
  const { redis, mp } = await setUp(t, { worker: false });
  t.is((await mp.request("POST", "/moneypenny/users", { body: dossier })).status, 303);
  await redis.restart();
  await mp.startWorker();
  t.is((await untilAvailable(() => mp.request("GET", "/moneypenny/users/hana/wait"))).status, 307);
  t.is((await mp.status("hana")).body["status"], "active");
});

test("while Redis is down the API answers 503 and changes nothing; it recovers by itself", async (t) => {
  const { redis, mp } = await setUp(t, { worker: false });
  await redis.stopProcess();
  const response = await mp.request("POST", "/moneypenny/users", { body: dossier });
  t.is(response.status, 503);
  t.like(await response.json(), { error: { code: "redis_unavailable" } });
  t.is((await mp.request("GET", "/moneypenny/users/hana")).status, 503);
  await redis.startProcess();
  await mp.startWorker();
  const posted = await untilAvailable(() => mp.request("POST", "/moneypenny/users", { body: dossier }));
  t.is(posted.status, 303, await posted.clone().text());
  await mp.wait("hana");
  t.is((await mp.status("hana")).body["status"], "active");
});

test("a failed job retried (as from the dashboard) moves the user to commissioning, then active", async (t) => {
  const { mp } = await setUp(t);
  const events = await mp.queueEvents();
  t.teardown(() => events.close());
  mp.executor!.failWith = { permanent: true, message: "root squash on the NFS export", times: 1 };
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("hana");
  t.like((await mp.status("hana")).body, { status: "failed", job_id: "commission-hana-1" });

  const job = (await mp.queue.getJob("commission-hana-1"))!;
  t.is(await job.getState(), "failed");
  const changes: string[] = [];
  const watcher = mp.redis.duplicate();
  t.teardown(() => watcher.disconnect());
  await watcher.subscribe(mp.store.eventsChannel);
  watcher.on("message", (_channel: string, message: string) => changes.push((JSON.parse(message) as { status: string }).status));
  await job.retry();
  await job.waitUntilFinished(events);
  t.like((await mp.status("hana")).body, { status: "active", job_id: "commission-hana-1" });
  t.deepEqual(changes, ["commissioning", "active"]);
});

test("an old job retried after a newer order changes nothing", async (t) => {
  const { mp } = await setUp(t);
  const events = await mp.queueEvents();
  t.teardown(() => events.close());
  mp.executor!.failWith = { permanent: true, message: "broken", times: 1 };
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("hana");
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("hana");
  await mp.request("POST", "/moneypenny/users/hana/retire");
  await mp.wait("hana");
  t.is((await mp.status("hana")).status, 404);

  const stale = (await mp.queue.getJob("commission-hana-1"))!;
  await stale.retry();
  const result = (await stale.waitUntilFinished(events)) as { outcome: string };
  t.is(result.outcome, "superseded");
  t.is((await mp.status("hana")).status, 404, "the retired user stays forgotten");
  t.is(mp.executor!.runs.filter((r) => r.order === "commission").length, 2);
});

test("a job that failed without its record hearing of it is noticed by the next POST, which then tries again", async (t) => {
  const { redis, mp } = await setUp(t, { worker: false });
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  // A bare worker fails the job the way BullMQ's stalled-job limit does: without our processor.
  const events = await mp.queueEvents();
  t.teardown(() => events.close());
  const bare = new Worker(QUEUE_NAME, async () => {
    throw new UnrecoverableError("job stalled more than allowable limit");
  }, { connection: { host: "127.0.0.1", port: redis.port, maxRetriesPerRequest: null }, prefix: mp.env["MONEYPENNY_QUEUE_PREFIX"]! });
  const job = (await mp.queue.getJob("commission-hana-1"))!;
  await t.throwsAsync(job.waitUntilFinished(events));
  await bare.close();
  t.is((await mp.status("hana")).body["status"], "commissioning", "the record did not hear of it");

  t.is((await mp.request("POST", "/moneypenny/users", { body: dossier })).status, 303);
  t.like((await mp.status("hana")).body, { status: "commissioning", job_id: "commission-hana-2" });
  await mp.startWorker();
  await mp.wait("hana");
  t.is((await mp.status("hana")).body["status"], "active");
});

test("/healthz answers while Redis is down; /readyz says 503 naming Redis, and recovers by itself", async (t) => {
  const { redis, mp } = await setUp(t, { worker: false });
  const probe = (path: string) => mp.request("GET", path, { token: null });
  t.is((await probe("/healthz")).status, 200);
  t.like(await (await probe("/readyz")).json(), { status: "ready", checks: { redis: "ok" } });
  await redis.stopProcess();
  t.is((await probe("/healthz")).status, 200);
  const down = await probe("/readyz");
  t.is(down.status, 503);
  t.regex(((await down.json()) as { error: { message: string } }).error.message, /^redis: /);
  await redis.startProcess();
  t.is((await untilAvailable(() => probe("/readyz"))).status, 200);
});

test("an order whose enqueue was lost (the API died between record and queue) is healed by the next identical POST", async (t) => {
  const { mp } = await setUp(t);
  // What the API wrote before dying: the record, and no job.
  const decision = await mp.store.beginCommission({ ...dossier, gid: dossier.uid });
  t.is(decision.kind, "created");
  t.deepEqual(await mp.jobs(), []);
  t.is((await mp.request("POST", "/moneypenny/users", { body: dossier })).status, 303);
  t.is(await mp.wait("hana"), 307);
  t.like((await mp.status("hana")).body, { status: "active", job_id: "commission-hana-1" });
});
