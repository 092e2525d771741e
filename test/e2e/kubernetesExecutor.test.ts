import { readdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { BatchV1Api, CoreV1Api } from "@kubernetes/client-node";
import { createLogger, DEFAULT_IDENTITY_RULES, loadWorkerConfig } from "@moneypenny/shared";
import { connectKubernetes, defaultOrders, followJob, jobOutcome, OrphanSweeper, renderOrderManifests } from "@moneypenny/worker";
import { FakeKubernetes } from "../fakeKubernetes/fakeKubernetes.js";
import { Deployment } from "../helpers/deployment.js";
import type { RecordedRequest } from "../fakeKubernetes/server.js";
import { isRoot } from "../helpers/filesystem.js";
import { exitOf, lineMatching, spawnTs } from "../helpers/processes.js";
import { kubernetesDeployment, PROVISIONER_IMAGE, provisionerImage } from "../helpers/kubernetesDeployment.js";
import { RedisServer } from "../helpers/redisServer.js";

let redis: RedisServer;
test.before(async () => {
  redis = await RedisServer.start();
});
test.after.always(async () => {
  await redis?.stop();
});

const dossier = { username: "kim", uid: 2800, groups: [{ name: "lab", id: 3200 }] };
const jobPosts = (requests: readonly RecordedRequest[]) => requests.filter((r) => r.method === "POST" && r.path.endsWith("/jobs"));

test("commission and retire run end to end as Jobs: the real provisioner, owner and mode checked, the requests asserted", async (t) => {
  const { fake, mp, homes } = await kubernetesDeployment(t, redis);
  t.is((await mp.request("POST", "/moneypenny/users", { body: dossier })).status, 303);
  t.is(await mp.wait("kim"), 307);
  const { body } = await mp.status("kim");
  t.is(body["status"], "active", String(body["error"]));
  t.like(body["result"], { action: "created", username: "kim" });

  const home = await stat(path.join(homes, "kim"));
  t.true(home.isDirectory());
  t.is(home.mode & 0o7777, 0o700);
  if (isRoot) t.deepEqual([home.uid, home.gid], [2800, 2800]);

  const [post] = jobPosts(fake.requests);
  const job = post!.body as { metadata: { name: string; labels: Record<string, string>; annotations: Record<string, string> }; spec: Record<string, unknown> & { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } };
  t.regex(job.metadata.name, /^mp-commission-kim-[0-9a-f]{10}$/);
  t.like(job.metadata.labels, { "app.kubernetes.io/managed-by": "moneypenny", "moneypenny.lsst.io/user": "kim", "moneypenny.lsst.io/order": "commission" });
  t.is(job.metadata.annotations["moneypenny.lsst.io/queue-job"], "commission-kim-1");
  t.like(job.spec, { backoffLimit: 0, activeDeadlineSeconds: 300, ttlSecondsAfterFinished: 3600 });
  t.like(job.spec.template.spec, { restartPolicy: "Never", automountServiceAccountToken: false });
  t.like(job.spec.template.spec.containers[0], {
    image: "moneypenny-provisioner:test",
    securityContext: { runAsUser: 0, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"], add: ["CHOWN", "DAC_OVERRIDE", "FOWNER"] } },
  });
  const configMapPost = fake.requests.find((r) => r.method === "POST" && r.path.endsWith("/configmaps"));
  t.like(configMapPost?.body, { metadata: { name: job.metadata.name, ownerReferences: [{ kind: "Job", name: job.metadata.name }] } });
  const deletion = fake.requests.find((r) => r.method === "DELETE" && r.path.endsWith(`/jobs/${job.metadata.name}`));
  t.truthy(deletion, "the Job is deleted once the result is recorded");
  t.is((deletion!.body as { propagationPolicy?: string } | undefined)?.propagationPolicy ?? deletion!.query["propagationPolicy"], "Background");
  t.deepEqual(fake.jobs(), []);
  t.deepEqual(fake.configMaps(), [], "the dossier ConfigMap went with its Job");

  t.is((await mp.request("POST", "/moneypenny/users/kim/retire")).status, 303);
  t.is(await mp.wait("kim"), 307);
  t.is((await mp.status("kim")).status, 404);
  const archive = await readdir(path.join(homes, ".moneypenny-archive"));
  t.is(archive.length, 1);
  t.regex(archive[0]!, /^kim-\d{8}T\d{6}Z$/);
  t.deepEqual(jobPosts(fake.requests).map((r) => (r.body as { metadata: { labels: Record<string, string> } }).metadata.labels["moneypenny.lsst.io/order"]), ["commission", "retire"]);
});

test("a Job that already exists (409) is adopted, not created twice; a finished one gives its result without running again", async (t) => {
  const { fake, mp, env } = await kubernetesDeployment(t, redis, { worker: false });
  // An earlier attempt created the Job and it completed, but its worker died before recording.
  const config = loadWorkerConfig(env);
  const orders = defaultOrders(config.kubernetes, DEFAULT_IDENTITY_RULES, 0o700);
  const { job, configMap } = renderOrderManifests("commission", { ...dossier, gid: dossier.uid }, orders, { ...config.kubernetes, namespace: fake.namespace }, "commission-kim-1");
  const batch = fake.kubeConfig().makeApiClient(BatchV1Api);
  const created = await batch.createNamespacedJob({ namespace: fake.namespace, body: job });
  await fake.kubeConfig().makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: fake.namespace, body: configMap(created.metadata!.uid!) });
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.startWorker();
  t.is(await mp.wait("kim"), 307);
  // "created" is what the first Job's provisioner did; a second run would have said "already-existed".
  t.like((await mp.status("kim")).body, { status: "active", result: { action: "created" } });
  t.is(jobPosts(fake.requests).length, 2, "ours, then the worker's, which was answered 409 and adopted the Job");
  t.deepEqual(fake.jobs(), [], "and deleted it once the result was recorded");
});

test("a finished Job left by an earlier order (its clean-up lost) is not taken for this order's outcome", async (t) => {
  const { fake, mp, homes, env } = await kubernetesDeployment(t, redis, { worker: false });
  const config = loadWorkerConfig(env);
  const orders = defaultOrders(config.kubernetes, DEFAULT_IDENTITY_RULES, 0o700);
  const { job, configMap } = renderOrderManifests("commission", { ...dossier, gid: dossier.uid }, orders, { ...config.kubernetes, namespace: fake.namespace }, "commission-kim-0");
  const created = await fake.kubeConfig().makeApiClient(BatchV1Api).createNamespacedJob({ namespace: fake.namespace, body: job });
  await fake.kubeConfig().makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: fake.namespace, body: configMap(created.metadata!.uid!) });
  const api = connectKubernetes(config.kubernetes);
  await followJob(api, job.metadata!.name!, (j) => jobOutcome(j) !== undefined, { signal: new AbortController().signal, resyncMs: 1000, log: createLogger("test", "silent") });
  // Since then the user was retired: the home is gone.
  await rm(path.join(homes, "kim"), { recursive: true });

  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.startWorker();
  await mp.wait("kim");
  t.like((await mp.status("kim")).body, { status: "active", result: { action: "created" } });
  t.true((await stat(path.join(homes, "kim"))).isDirectory(), "the order really ran again");
  t.true(fake.requests.some((r) => r.method === "DELETE" && r.path.endsWith(`/jobs/${job.metadata!.name}`)));
});

test("transient API errors (500, 429) are retried by the queue until the order succeeds", async (t) => {
  const { fake, mp } = await kubernetesDeployment(t, redis);
  fake.faults.failNext({ method: "POST", path: /\/jobs$/ }, 500, 1);
  fake.faults.failNext({ method: "POST", path: /\/jobs$/ }, 429, 1);
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("kim");
  t.is((await mp.status("kim")).body["status"], "active");
  t.is(jobPosts(fake.requests).length, 3);
  t.is(mp.executor!.runs.length, 3);
});

for (const [code, pattern] of [
  [403, /Kubernetes answered 403: forbidden \(injected by FakeKubernetes\.faults\) \(check the worker's service account and its Role\)/],
  [422, /Kubernetes answered 422: invalid \(injected by FakeKubernetes\.faults\)/],
] as const) {
  test(`a ${code} from the API server fails the order at once, with the server's message in the user record`, async (t) => {
    const { fake, mp } = await kubernetesDeployment(t, redis);
    fake.faults.failNext({ method: "POST", path: /\/jobs$/ }, code, 1);
    await mp.request("POST", "/moneypenny/users", { body: dossier });
    await mp.wait("kim");
    const { body } = await mp.status("kim");
    t.is(body["status"], "failed");
    t.regex(String(body["error"]), pattern);
    t.is(mp.executor!.runs.length, 1, "not retried");
  });
}

test("a failing container: the user's error carries the reason and the tail of its log", async (t) => {
  const orders = `
commission:
  - name: noisy
    image: busybox
    command: [sh, -c, "for i in $(seq 1 30); do echo line $i; done; echo 'cannot reach the NFS server' >&2; exit 3"]
`;
  const { mp } = await kubernetesDeployment(t, redis, { orders });
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("kim");
  const { body } = await mp.status("kim");
  t.is(body["status"], "failed");
  const error = String(body["error"]);
  t.regex(error, /failed \(BackoffLimitExceeded/);
  t.regex(error, /exit code 3/);
  t.regex(error, /cannot reach the NFS server/);
  t.regex(error, /line 30/);
  t.notRegex(error, /line 10\n/, "only the last 20 lines");
});

test("an order of two containers runs them in order; an empty order succeeds without a Job", async (t) => {
  const orders = `
commission:
  - name: first
    image: busybox
    command: [sh, -c, 'echo first >> "$OUT"']
    env: [{name: OUT, value: /work/steps}]
    volumeMounts: [{name: work, mountPath: /work}]
  - name: second
    image: busybox
    command: [sh, -c, 'echo second >> "$OUT"']
    env: [{name: OUT, value: /work/steps}]
    volumeMounts: [{name: work, mountPath: /work}]
retire: []
volumes:
  - name: work
    persistentVolumeClaim: {claimName: work}
`;
  const { fake, mp } = await kubernetesDeployment(t, redis, { orders });
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("kim");
  t.is((await mp.status("kim")).body["status"], "active");
  t.is(await readFile(path.join(fake.volumeDir("work"), "steps"), "utf8"), "first\nsecond\n");
  const posted = jobPosts(fake.requests)[0]!.body as { spec: { template: { spec: { initContainers: { name: string }[]; containers: { name: string }[] } } } };
  t.deepEqual(posted.spec.template.spec.initContainers.map((c) => c.name), ["first"]);
  t.deepEqual(posted.spec.template.spec.containers.map((c) => c.name), ["second"]);

  await mp.request("POST", "/moneypenny/users/kim/retire");
  await mp.wait("kim");
  t.is((await mp.status("kim")).status, 404);
  t.is(jobPosts(fake.requests).length, 1, "the empty retire created nothing");
});

test("watch streams that the server ends at once are re-watched from the last resourceVersion", async (t) => {
  const { fake, mp } = await kubernetesDeployment(t, redis);
  // Every watch stream ends at once, before any event, as a server under load may end them.
  fake.faults.closeWatchesAfterEvents = 0;
  fake.faults.startLatencyMs = 1500;
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("kim");
  t.is((await mp.status("kim")).body["status"], "active");
  const watches = fake.requests.filter((r) => r.path.endsWith("/jobs") && r.method === "GET" && (r.query["watch"] === "true" || r.query["watch"] === "1"));
  t.true(watches.length >= 2, `${watches.length} watches`);
  const versions = watches.map((w) => Number(w.query["resourceVersion"]));
  // A Job changes only when it starts and when it ends, so a stream closed
  // "mid-way" is one closed while nothing happens: the same resourceVersion again.
  t.true(versions.every((v, i) => Number.isInteger(v) && v > 0 && (i === 0 || v >= versions[i - 1]!)), `resourceVersions ${versions.join(", ")}`);
});

test("the deadline: a Job past activeDeadlineSeconds fails (retried, as it may pass), and so does one the worker stops waiting for", async (t) => {
  const { fake, mp } = await kubernetesDeployment(t, redis, { env: { MONEYPENNY_JOB_ATTEMPTS: "2", MONEYPENNY_JOB_ACTIVE_DEADLINE_SECONDS: "1" } });
  fake.faults.neverFinish = () => true;
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.wait("kim");
  const { body } = await mp.status("kim");
  t.is(body["status"], "failed");
  t.regex(String(body["error"]), /DeadlineExceeded/);
  t.regex(String(body["error"]), /gave up after 2 attempts/);

  const other = await kubernetesDeployment(t, redis, { env: { MONEYPENNY_JOB_ATTEMPTS: "1", MONEYPENNY_ORDER_TIMEOUT_SECONDS: "1" } });
  other.fake.faults.neverFinish = () => true;
  await other.mp.request("POST", "/moneypenny/users", { body: dossier });
  await other.mp.wait("kim");
  const late = (await other.mp.status("kim")).body;
  t.is(late["status"], "failed");
  t.regex(String(late["error"]), /did not finish within 1 s/);
  t.deepEqual(other.fake.jobs(), [], "the unfinished Job was deleted");
});

test("a worker killed between creating the Job and its completion: the next attempt adopts the same Job, and there is only one", async (t) => {
  const fast = { MONEYPENNY_WORKER_LOCK_MS: "1000", MONEYPENNY_WORKER_STALLED_INTERVAL_MS: "500" };
  const { fake, mp } = await kubernetesDeployment(t, redis, { worker: false, env: fast });
  fake.faults.startLatencyMs = 2500;
  const worker = spawnTs("worker/src/main.ts", { ...mp.env, LOG_LEVEL: "info" });
  t.teardown(() => worker.kill("SIGKILL"));
  await lineMatching(worker, /worker ready/);
  const created = lineMatching(worker, /Job created/);
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await created;
  worker.kill("SIGKILL");
  await exitOf(worker);
  t.is(fake.jobs().length, 1);

  await mp.startWorker();
  t.is(await mp.wait("kim"), 307);
  t.like((await mp.status("kim")).body, { status: "active", result: { action: "created" } });
  const names = new Set(jobPosts(fake.requests).map((r) => (r.body as { metadata: { name: string } }).metadata.name));
  t.is(names.size, 1, "one Job name");
  t.is(jobPosts(fake.requests).length, 2, "created once; the second create was answered 409 and adopted");
  t.deepEqual(fake.jobs(), []);
});

test("the orphan sweep deletes old finished Jobs labelled as Moneypenny's, and nothing else", async (t) => {
  const { fake, env } = await kubernetesDeployment(t, redis, { worker: false });
  const batch = fake.kubeConfig().makeApiClient(BatchV1Api);
  const job = (name: string, labels: Record<string, string>) => ({
    metadata: { name, labels },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox", command: ["true"] }] } } },
  });
  await batch.createNamespacedJob({ namespace: fake.namespace, body: job("mp-commission-old-1", { "app.kubernetes.io/managed-by": "moneypenny" }) });
  await batch.createNamespacedJob({ namespace: fake.namespace, body: job("someone-elses", { app: "other" }) });
  fake.faults.neverFinish = (name) => name === "mp-commission-running";
  await batch.createNamespacedJob({ namespace: fake.namespace, body: job("mp-commission-running", { "app.kubernetes.io/managed-by": "moneypenny" }) });
  const api = connectKubernetes(loadWorkerConfig(env).kubernetes);
  const log = createLogger("test", "silent");
  for (const name of ["mp-commission-old-1", "someone-elses"]) {
    await followJob(api, name, (j) => jobOutcome(j) !== undefined, { signal: new AbortController().signal, resyncMs: 1000, log });
  }
  const sweeper = new OrphanSweeper(api, 60_000, log);
  t.deepEqual(await sweeper.sweep(), [], "nothing is old enough yet");
  t.deepEqual(await sweeper.sweep(Date.now() + 120_000), ["mp-commission-old-1"]);
  t.deepEqual(fake.jobs().map((j) => j.metadata.name).sort(), ["mp-commission-running", "someone-elses"]);
});

test("in a pod: the service account's token, CA (a self-signed certificate) and namespace are used", async (t) => {
  const fake = await FakeKubernetes.start({ tls: true, images: provisionerImage });
  t.teardown(() => fake.stop());
  const mp = await Deployment.start(redis, { worker: false });
  t.teardown(() => mp.stop());
  const worker = spawnTs("worker/src/main.ts", {
    ...mp.env,
    ...fake.inClusterEnv,
    LOG_LEVEL: "info",
    MONEYPENNY_EXECUTOR: "kubernetes",
    MONEYPENNY_K8S_SERVICE_ACCOUNT_ROOT: fake.inClusterPathPrefix,
    MONEYPENNY_PROVISIONER_IMAGE: PROVISIONER_IMAGE,
    MONEYPENNY_HOMES_VOLUME: "{nfs: {server: nfs.example.org, path: /export/homes}}",
  });
  t.teardown(() => worker.kill("SIGKILL"));
  const ready = await lineMatching(worker, /kubernetes executor ready/);
  t.regex(ready, new RegExp(`"namespace":"${fake.namespace}"`), "the namespace came from the service account");
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  t.is(await mp.wait("kim"), 307);
  t.is((await mp.status("kim")).body["status"], "active");
  t.true((await stat(path.join(fake.volumeDir("homes"), "kim"))).isDirectory());
  worker.kill("SIGTERM");
  t.is((await exitOf(worker)).code, 0);
});

test("a bad orders file stops the worker at start-up with a message naming the key", async (t) => {
  const { mp, env } = await kubernetesDeployment(t, redis, { worker: false, orders: "commission:\n  - image: busybox\n    comand: [true]\n" });
  const worker = spawnTs("worker/src/main.ts", { ...env, REDIS_URL: mp.env["REDIS_URL"] });
  let stderr = "";
  worker.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  t.is((await exitOf(worker)).code, 2);
  t.regex(stderr, /commission\.0\.comand: unknown key/);
});
