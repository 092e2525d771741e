import test from "ava";
import { Deployment } from "../helpers/deployment.js";
import { exitOf, lineMatching, spawnTs } from "../helpers/processes.js";
import { freePort, RedisServer } from "../helpers/redisServer.js";

test("the API's /metrics: request durations by route template, jobs by state, process metrics; changing after an order", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const mp = await Deployment.start(redis);
  t.teardown(() => mp.stop());
  const scrape = async () => (await mp.request("GET", "/metrics", { token: null })).text();
  const before = await scrape();
  t.regex(before, /process_cpu_user_seconds_total/);
  t.regex(before, /moneypenny_queue_jobs\{state="completed"\} 0/);
  await mp.request("POST", "/moneypenny/users", { body: { username: "mia", uid: 6000, groups: [] } });
  await mp.wait("mia");
  await mp.request("GET", "/moneypenny/users/nobody-at-all");
  const after = await scrape();
  t.regex(after, /moneypenny_queue_jobs\{state="completed"\} 1/);
  t.regex(after, /moneypenny_http_request_duration_seconds_count\{method="POST",route="\/moneypenny\/users",status="303"\} 1/);
  t.regex(after, /moneypenny_http_request_duration_seconds_count\{method="GET",route="\/moneypenny\/users\/:username",status="404"\} 1/);
  t.notRegex(after, /nobody-at-all/, "raw paths never become labels");
});

test("the worker's probe port: /healthz, /readyz (503 naming Redis while it is down), /metrics; the request id follows the order into the worker's log", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const mp = await Deployment.start(redis, { worker: false });
  t.teardown(() => mp.stop());
  const port = await freePort();
  const worker = spawnTs("worker/src/main.ts", { ...mp.env, LOG_LEVEL: "info", MONEYPENNY_WORKER_METRICS_PORT: String(port), MONEYPENNY_WORKER_METRICS_HOST: "127.0.0.1" });
  t.teardown(() => worker.kill("SIGKILL"));
  await lineMatching(worker, /probes and metrics listening/);
  const probe = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
  t.is((await probe("/healthz")).status, 200);
  t.like(await (await probe("/readyz")).json(), { status: "ready", checks: { redis: "ok", executor: "ok" } });

  const logged = lineMatching(worker, /"requestId":"spawn-mia-42".*"msg":"order started"/);
  await mp.request("POST", "/moneypenny/users", { body: { username: "mia", uid: 6000, groups: [] }, headers: { "x-request-id": "spawn-mia-42" } });
  await logged;
  t.is(await mp.wait("mia"), 307);
  const metrics = await (await probe("/metrics")).text();
  t.regex(metrics, /moneypenny_order_duration_seconds_count\{order="commission",outcome="success"\} 1/);
  t.notRegex(metrics, /moneypenny_order_failures_total\{/, "no failure yet");
  t.regex(metrics, /process_resident_memory_bytes/);

  await redis.stopProcess();
  const down = await probe("/readyz");
  t.is(down.status, 503);
  t.regex(((await down.json()) as { error: { message: string } }).error.message, /^redis: /);
  await redis.startProcess();
  let status = 503;
  // The worker reconnects by itself (at most a second apart); nothing signals the moment to a test.
  for (let i = 0; i < 100 && status === 503; i++) {
    status = (await probe("/readyz")).status;
    if (status === 503) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.is(status, 200);
  worker.kill("SIGTERM");
  t.is((await exitOf(worker)).code, 0);
});

test("the API on SIGTERM: stops accepting, answers pending long polls with 307, exits 0", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const mp = await Deployment.start(redis, { worker: false });
  t.teardown(() => mp.stop());
  await mp.request("POST", "/moneypenny/users", { body: { username: "ned", uid: 6100, groups: [] } });
  const port = await freePort();
  const api = spawnTs("api/src/main.ts", { ...mp.env, LOG_LEVEL: "debug", MONEYPENNY_PORT: String(port) });
  t.teardown(() => api.kill("SIGKILL"));
  await lineMatching(api, /API listening/);
  const asleep = lineMatching(api, /waiting for the order to settle/);
  const waiting = fetch(`http://127.0.0.1:${port}/moneypenny/users/ned/wait?timeout=60`, { headers: { authorization: `Bearer ${mp.token}` }, redirect: "manual" });
  await asleep;
  const exited = exitOf(api);
  api.kill("SIGTERM");
  const answer = await waiting;
  await answer.text();
  t.is(answer.status, 307);
  t.is(answer.headers.get("location"), `http://127.0.0.1:${port}/moneypenny/users/ned`);
  t.deepEqual(await exited, { code: 0, signal: null });
});
