import { stat } from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { Deployment } from "../helpers/deployment.js";
import { isRoot } from "../helpers/filesystem.js";
import { exitOf, lineMatching, spawnTs } from "../helpers/processes.js";
import { RedisServer } from "../helpers/redisServer.js";

let redis: RedisServer;
test.before(async () => {
  redis = await RedisServer.start();
});
test.after.always(async () => {
  await redis?.stop();
});

// Short locks, so that a killed worker's job is found stalled in about a second.
const fastRecovery = { MONEYPENNY_WORKER_LOCK_MS: "1000", MONEYPENNY_WORKER_STALLED_INTERVAL_MS: "500" };

test("a worker killed with SIGKILL mid-job: the next worker completes the job exactly once", async (t) => {
  const mp = await Deployment.start(redis, { worker: false, env: fastRecovery });
  t.teardown(() => mp.stop());
  const events = await mp.queueEvents();
  t.teardown(() => events.close());
  const completions: string[] = [];
  events.on("completed", ({ jobId }) => completions.push(jobId));

  const crashing = spawnTs("test/fixtures/heldWorker.ts", mp.env);
  t.teardown(() => crashing.kill("SIGKILL"));
  await lineMatching(crashing, /^READY$/);
  const executed = lineMatching(crashing, /^EXECUTED /);
  await mp.request("POST", "/moneypenny/users", { body: { username: "dora", uid: 2300, groups: [] } });
  t.is(await executed, "EXECUTED commission-dora-1");
  crashing.kill("SIGKILL");
  await exitOf(crashing);
  t.is((await mp.status("dora")).body["status"], "commissioning");

  const executor = await mp.startWorker();
  const job = await mp.queue.getJob("commission-dora-1");
  await job!.waitUntilFinished(events);
  t.is(await mp.wait("dora"), 307);
  const { body } = await mp.status("dora");
  t.is(body["status"], "active");
  t.like(body["result"], { action: "already-existed" }, "the second run found the first run's home and changed nothing");
  t.deepEqual(executor.runs, [{ order: "commission", usernames: ["dora"] }]);
  t.deepEqual(completions, ["commission-dora-1"]);
  t.is((await mp.queue.getJob("commission-dora-1"))!.stalledCounter, 1);
  const home = await stat(path.join(mp.homeRoot, "dora"));
  t.is(home.mode & 0o7777, 0o700);
  if (isRoot) t.is(home.uid, 2300);
});

test("SIGTERM: the worker stops taking jobs, lets the active one finish, and exits 0", async (t) => {
  const mp = await Deployment.start(redis, { worker: false });
  t.teardown(() => mp.stop());
  const worker = spawnTs("test/fixtures/heldWorker.ts", mp.env);
  t.teardown(() => worker.kill("SIGKILL"));
  await lineMatching(worker, /^READY$/);
  const executed = lineMatching(worker, /^EXECUTED /);
  await mp.request("POST", "/moneypenny/users", { body: { username: "erin", uid: 2400, groups: [] } });
  await executed;

  const stopping = lineMatching(worker, /^STOPPING$/);
  worker.kill("SIGTERM");
  await stopping;
  // Shutting down, it takes no new job: this one stays waiting.
  await mp.request("POST", "/moneypenny/users", { body: { username: "fred", uid: 2401, groups: [] } });
  worker.stdin!.write("release\n");
  t.deepEqual(await exitOf(worker), { code: 0, signal: null });
  t.is((await mp.status("erin")).body["status"], "active");
  t.is((await mp.status("fred")).body["status"], "commissioning");
  t.is(await (await mp.queue.getJob("commission-fred-2"))!.getState(), "waiting");
});

test("SIGTERM with an order that outlives the grace period: the worker exits, and another worker completes the order", async (t) => {
  const mp = await Deployment.start(redis, { worker: false, env: { ...fastRecovery, MONEYPENNY_SHUTDOWN_GRACE_SECONDS: "1" } });
  t.teardown(() => mp.stop());
  const worker = spawnTs("test/fixtures/heldWorker.ts", mp.env);
  t.teardown(() => worker.kill("SIGKILL"));
  await lineMatching(worker, /^READY$/);
  const executed = lineMatching(worker, /^EXECUTED /);
  await mp.request("POST", "/moneypenny/users", { body: { username: "gina", uid: 2500, groups: [] } });
  await executed;
  worker.kill("SIGTERM");
  t.deepEqual(await exitOf(worker), { code: 0, signal: null });
  t.is((await mp.status("gina")).body["status"], "commissioning");

  await mp.startWorker();
  t.is(await mp.wait("gina"), 307);
  t.is((await mp.status("gina")).body["status"], "active");
});

test("a bad configuration stops a process with one message naming every bad variable", async (t) => {
  const worker = spawnTs("worker/src/main.ts", { MONEYPENNY_WORKER_CONCURRENCY: "lots", MONEYPENNY_HOME_MODE: "rwx" });
  let stderr = "";
  worker.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  t.is((await exitOf(worker)).code, 2);
  t.regex(stderr, /MONEYPENNY_WORKER_CONCURRENCY/);
  t.regex(stderr, /MONEYPENNY_HOME_MODE/);

  const api = spawnTs("api/src/main.ts", { MONEYPENNY_PORT: "http" });
  let apiStderr = "";
  api.stderr!.on("data", (chunk: Buffer) => (apiStderr += chunk.toString()));
  t.is((await exitOf(api)).code, 2);
  t.regex(apiStderr, /MONEYPENNY_PORT/);
  t.regex(apiStderr, /MONEYPENNY_AUTH_SECRET/);
});
