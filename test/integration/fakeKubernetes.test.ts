import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import test, { type ExecutionContext } from "ava";
import { ApiException, BatchV1Api, CoreV1Api, KubeConfig, Watch, type V1Container, type V1Job, type V1Pod, type V1Volume } from "@kubernetes/client-node";
import { FakeKubernetes, type FakeKubernetesOptions } from "../fakeKubernetes/fakeKubernetes.js";

/*
 * The fake Kubernetes API server and node, driven the way the executor will
 * drive a real cluster: through @kubernetes/client-node and a kubeconfig.
 */

interface Cluster {
  fake: FakeKubernetes;
  kc: KubeConfig;
  batch: BatchV1Api;
  core: CoreV1Api;
  /** A temporary directory for the test's own files (kubeconfig, hostPath volumes). */
  dir: string;
  namespace: string;
}

async function cluster(t: ExecutionContext, options: FakeKubernetesOptions = {}): Promise<Cluster> {
  // A missing event would otherwise hang the test until ava's global time-out.
  t.timeout(20_000);
  const fake = await FakeKubernetes.start(options);
  t.teardown(() => fake.stop());
  const dir = await mkdtemp(path.join(tmpdir(), "fake-kubernetes-test-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const kc = new KubeConfig();
  kc.loadFromFile(await fake.writeKubeconfig(dir));
  return { fake, kc, batch: kc.makeApiClient(BatchV1Api), core: kc.makeApiClient(CoreV1Api), dir, namespace: fake.namespace };
}

interface JobShape {
  main: string;
  init?: string[];
  env?: Record<string, string>;
  volumes?: V1Volume[];
  mounts?: Record<string, string>;
  activeDeadlineSeconds?: number;
}

const sh = (name: string, script: string, shape: JobShape): V1Container => ({
  name,
  image: "busybox:1.36",
  command: ["sh", "-c", script],
  env: Object.entries(shape.env ?? {}).map(([k, value]) => ({ name: k, value })),
  volumeMounts: Object.entries(shape.mounts ?? {}).map(([volume, mountPath]) => ({ name: volume, mountPath })),
});

/** A Job of `sh -c` containers, as the executor will build them (backoffLimit 0, restartPolicy Never). */
function shJob(name: string, shape: JobShape): V1Job {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, labels: { app: "moneypenny" } },
    spec: {
      backoffLimit: 0,
      ...(shape.activeDeadlineSeconds ? { activeDeadlineSeconds: shape.activeDeadlineSeconds } : {}),
      template: {
        spec: {
          restartPolicy: "Never",
          initContainers: (shape.init ?? []).map((script, i) => sh(`init-${i}`, script, shape)),
          containers: [sh("main", shape.main, shape)],
          volumes: shape.volumes ?? [],
        },
      },
    },
  };
}

interface WatchEvent<T> {
  type: string;
  object: T;
}

/** A watch's events as they arrive, with a way to wait for one; the stream ending first is an error. */
class WatchLog<T> {
  readonly events: WatchEvent<T>[] = [];
  #waiters: { until: (event: WatchEvent<T>) => boolean; resolve: () => void; reject: (error: Error) => void }[] = [];
  #ended: Error | undefined;
  #controller: AbortController | undefined;

  static async open<T>(kc: KubeConfig, apiPath: string, query: Record<string, string>): Promise<WatchLog<T>> {
    const log = new WatchLog<T>();
    log.#controller = await new Watch(kc).watch(
      apiPath,
      query,
      (type: string, object: T) => log.#add({ type, object }),
      (error: unknown) => log.#end(new Error(`the watch ended: ${String(error)}; saw ${JSON.stringify(log.events.map((e) => e.type))}`)),
    );
    return log;
  }

  /** Resolves with the events so far once one of them (already seen or to come) satisfies `until`. */
  until(until: (event: WatchEvent<T>) => boolean): Promise<WatchEvent<T>[]> {
    const index = this.events.findIndex(until);
    if (index >= 0) return Promise.resolve(this.events.slice(0, index + 1));
    if (this.#ended) return Promise.reject(this.#ended);
    return new Promise((resolve, reject) => this.#waiters.push({ until, resolve: () => resolve([...this.events]), reject }));
  }

  close(): void {
    this.#waiters = [];
    this.#controller?.abort();
  }

  #add(event: WatchEvent<T>): void {
    this.events.push(event);
    const ready = this.#waiters.filter((w) => w.until(event));
    this.#waiters = this.#waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  #end(error: Error): void {
    this.#ended = error;
    for (const w of this.#waiters) w.reject(error);
    this.#waiters = [];
  }
}

/** Watches until `until` holds for an event, and resolves with every event seen until then. */
async function watchUntil<T>(kc: KubeConfig, apiPath: string, query: Record<string, string>, until: (event: WatchEvent<T>) => boolean): Promise<WatchEvent<T>[]> {
  const log = await WatchLog.open<T>(kc, apiPath, query);
  try {
    return await log.until(until);
  } finally {
    log.close();
  }
}

const finishedCondition = (job: V1Job) => job.status?.conditions?.find((c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True");

/** The Job's events from `resourceVersion` (or from its current state) until it is Complete or Failed. */
function untilFinished(c: Cluster, name: string, resourceVersion?: string): Promise<WatchEvent<V1Job>[]> {
  const query: Record<string, string> = { fieldSelector: `metadata.name=${name}`, ...(resourceVersion ? { resourceVersion } : {}) };
  return watchUntil<V1Job>(c.kc, `/apis/batch/v1/namespaces/${c.namespace}/jobs`, query, (e) => finishedCondition(e.object) !== undefined);
}

async function apiError(t: ExecutionContext, promise: Promise<unknown>, code: number): Promise<{ reason?: string; message?: string; code?: number; kind?: string; details?: { retryAfterSeconds?: number } }> {
  const error = await t.throwsAsync(promise, { instanceOf: ApiException });
  const e = error as ApiException<string>;
  t.is(e.code, code);
  return JSON.parse(e.body) as { reason?: string; message?: string; code?: number };
}

test("jobs and configmaps: create, get, list with selectors, and delete round-trip", async (t) => {
  const c = await cluster(t);
  const { namespace } = c;
  const created = await c.batch.createNamespacedJob({ namespace, body: shJob("round-trip", { main: "true" }) });
  t.truthy(created.metadata?.uid);
  t.truthy(created.metadata?.resourceVersion);
  t.true(created.metadata?.creationTimestamp instanceof Date);
  t.is(created.spec?.template.metadata?.labels?.["job-name"], "round-trip");

  const read = await c.batch.readNamespacedJob({ name: "round-trip", namespace });
  t.is(read.metadata?.uid, created.metadata?.uid);
  const status = await c.batch.readNamespacedJobStatus({ name: "round-trip", namespace });
  t.is(status.metadata?.uid, created.metadata?.uid);

  t.deepEqual((await c.batch.listNamespacedJob({ namespace, labelSelector: "app=moneypenny" })).items.map((j) => j.metadata?.name), ["round-trip"]);
  t.deepEqual((await c.batch.listNamespacedJob({ namespace, labelSelector: "app=other" })).items, []);
  t.deepEqual((await c.batch.listNamespacedJob({ namespace, fieldSelector: "metadata.name=round-trip" })).items.length, 1);
  t.deepEqual((await c.batch.listNamespacedJob({ namespace, fieldSelector: "metadata.name=nope" })).items, []);

  await c.core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "settings" }, data: { a: "1" } } });
  t.deepEqual((await c.core.readNamespacedConfigMap({ name: "settings", namespace })).data, { a: "1" });
  await c.core.deleteNamespacedConfigMap({ name: "settings", namespace });
  const cmGone = await apiError(t, c.core.readNamespacedConfigMap({ name: "settings", namespace }), 404);
  t.is(cmGone.reason, "NotFound");
  await apiError(t, c.core.deleteNamespacedConfigMap({ name: "settings", namespace }), 404);

  await c.batch.deleteNamespacedJob({ name: "round-trip", namespace, propagationPolicy: "Background" });
  const gone = await apiError(t, c.batch.readNamespacedJob({ name: "round-trip", namespace }), 404);
  t.is(gone.message, 'jobs.batch "round-trip" not found');
  t.deepEqual(c.fake.jobs(), []);
  const del = c.fake.requests.find((r) => r.method === "DELETE" && r.path.endsWith("/jobs/round-trip"));
  t.is(del?.query["propagationPolicy"], "Background");
});

test("a duplicate create is answered 409 AlreadyExists with a Status body", async (t) => {
  const c = await cluster(t);
  await c.batch.createNamespacedJob({ namespace: c.namespace, body: shJob("twice", { main: "true" }) });
  const status = await apiError(t, c.batch.createNamespacedJob({ namespace: c.namespace, body: shJob("twice", { main: "true" }) }), 409);
  t.like(status, {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    message: 'jobs.batch "twice" already exists',
    reason: "AlreadyExists",
    details: { name: "twice", group: "batch", kind: "jobs" },
    code: 409,
  });
});

test("an invalid Job is refused 422 with the field that is wrong", async (t) => {
  const c = await cluster(t);
  const job = shJob("no-restart-policy", { main: "true" });
  delete job.spec?.template.spec?.restartPolicy;
  const status = await apiError(t, c.batch.createNamespacedJob({ namespace: c.namespace, body: job }), 422);
  t.is(status.reason, "Invalid");
  t.regex(status.message ?? "", /spec\.template\.spec\.restartPolicy: Unsupported value: "Always"/);
});

test("init containers then the main container run in order against a hostPath volume, and the Job completes", async (t) => {
  const c = await cluster(t);
  const shape: JobShape = {
    init: ['echo first >> "$DATA/order"', 'echo second >> "$DATA/order"'],
    main: 'echo main >> "$DATA/order"; pwd',
    env: { DATA: "/data" },
    volumes: [{ name: "data", hostPath: { path: c.dir } }],
    mounts: { data: "/data" },
  };
  const created = await c.batch.createNamespacedJob({ namespace: c.namespace, body: shJob("in-order", shape) });
  const events = await untilFinished(c, "in-order", created.metadata?.resourceVersion);
  const job = events.at(-1)!.object;
  t.is(finishedCondition(job)?.type, "Complete");
  t.is(job.status?.succeeded, 1);
  t.is(await readFile(path.join(c.dir, "order"), "utf8"), "first\nsecond\nmain\n");

  const [pod, ...others] = (await c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: "job-name=in-order" })).items;
  t.is(others.length, 0);
  t.regex(pod?.metadata?.name ?? "", /^in-order-[a-z0-9]{5}$/);
  t.is(pod?.metadata?.ownerReferences?.[0]?.uid, created.metadata?.uid);
  t.is(pod?.status?.phase, "Succeeded");
  t.deepEqual(pod?.status?.initContainerStatuses?.map((s) => s.state?.terminated?.exitCode), [0, 0]);
  t.is(pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 0);
  const pwd = await c.core.readNamespacedPodLog({ name: pod!.metadata!.name!, namespace: c.namespace, container: "main" });
  t.not(pwd.trim(), c.dir, "the working directory is the pod's own temporary directory");
});

test("a failing container fails the Job (BackoffLimitExceeded) and the tail of its log is readable", async (t) => {
  const c = await cluster(t);
  const main = 'i=1; while [ $i -le 30 ]; do echo "line $i"; i=$((i+1)); done; echo "it broke" >&2; exit 3';
  const created = await c.batch.createNamespacedJob({ namespace: c.namespace, body: shJob("fails", { main }) });
  const job = (await untilFinished(c, "fails", created.metadata?.resourceVersion)).at(-1)!.object;
  t.like(finishedCondition(job), { type: "Failed", reason: "BackoffLimitExceeded", message: "Job has reached the specified backoff limit" });
  t.is(job.status?.failed, 1);

  const [pod] = (await c.core.listNamespacedPod({ namespace: c.namespace, labelSelector: "job-name=fails" })).items;
  t.is(pod?.status?.phase, "Failed");
  t.is(pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode, 3);
  const log = await c.core.readNamespacedPodLog({ name: pod!.metadata!.name!, namespace: c.namespace, container: "main", tailLines: 20 });
  const lines = log.trimEnd().split("\n");
  t.is(lines.length, 20);
  t.is(lines[0], "line 12");
  t.is(lines.at(-1), "it broke");
});

test("a watch from a resourceVersion sees the Job's changes, in order, up to completion", async (t) => {
  const c = await cluster(t);
  c.fake.faults.startLatencyMs = 50;
  const created = await c.batch.createNamespacedJob({ namespace: c.namespace, body: shJob("watched", { main: "true" }) });
  const events = await untilFinished(c, "watched", created.metadata?.resourceVersion);
  t.true(events.length >= 3, JSON.stringify(events.map((e) => e.type)));
  t.true(events.every((e) => e.type === "MODIFIED"));
  const versions = events.map((e) => Number(e.object.metadata?.resourceVersion));
  t.true(versions.every((v, i) => i === 0 || v > versions[i - 1]!), `increasing: ${versions.join(",")}`);
  t.true(versions[0]! > Number(created.metadata?.resourceVersion));
  t.is(events[0]?.object.status?.active, 1, "first the controller reports the pod active");
  t.deepEqual(
    events.at(-1)!.object.status?.conditions?.map((x) => x.type),
    ["SuccessCriteriaMet", "Complete"],
  );

  // Resuming after the end replays the same history.
  const replay = await untilFinished(c, "watched", created.metadata?.resourceVersion);
  t.deepEqual(replay.map((e) => e.object.metadata?.resourceVersion), events.map((e) => e.object.metadata?.resourceVersion));
});

test("a watch without resourceVersion starts with a synthetic ADDED for each existing object, then follows", async (t) => {
  const c = await cluster(t);
  for (const name of ["a", "b"]) await c.core.createNamespacedConfigMap({ namespace: c.namespace, body: { metadata: { name } } });
  const log = await WatchLog.open<{ metadata: { name: string } }>(c.kc, `/api/v1/namespaces/${c.namespace}/configmaps`, {});
  t.teardown(() => log.close());
  await log.until(() => log.events.length === 2);
  await c.core.createNamespacedConfigMap({ namespace: c.namespace, body: { metadata: { name: "c" } } });
  await c.core.deleteNamespacedConfigMap({ name: "a", namespace: c.namespace });
  const events = await log.until((e) => e.type === "DELETED");
  t.deepEqual(
    events.map((e) => `${e.type} ${e.object.metadata.name}`),
    ["ADDED a", "ADDED b", "ADDED c", "DELETED a"],
  );
});

test("closeWatchesAfterEvents: the server ends the stream and the client's done callback fires", async (t) => {
  const c = await cluster(t);
  for (const name of ["a", "b", "c"]) await c.core.createNamespacedConfigMap({ namespace: c.namespace, body: { metadata: { name } } });
  c.fake.faults.closeWatchesAfterEvents = 2;
  const types: string[] = [];
  const doneWith = await new Promise<unknown>((resolve) => {
    void new Watch(c.kc).watch(`/api/v1/namespaces/${c.namespace}/configmaps`, {}, (type: string) => types.push(type), resolve);
  });
  t.falsy(doneWith, "a clean end of stream, not an error");
  t.deepEqual(types, ["ADDED", "ADDED"]);
});

test("timeoutSeconds: the server ends a watch when its time is up", async (t) => {
  const c = await cluster(t);
  const started = performance.now();
  const doneWith = await new Promise<unknown>((resolve) => {
    void new Watch(c.kc).watch(`/api/v1/namespaces/${c.namespace}/configmaps`, { timeoutSeconds: 1 }, () => {}, resolve);
  });
  t.falsy(doneWith);
  t.true(performance.now() - started >= 900);
});

test("failNext answers injected 500 and 429 Status errors, then the real answer", async (t) => {
  const c = await cluster(t);
  c.fake.faults.failNext({ method: "POST", path: /\/jobs$/ }, 500);
  c.fake.faults.failNext({ method: "POST", path: /\/jobs$/ }, 429);
  const body = shJob("flaky", { main: "true" });
  const internal = await apiError(t, c.batch.createNamespacedJob({ namespace: c.namespace, body }), 500);
  t.like(internal, { kind: "Status", reason: "InternalError", code: 500 });
  const error = await t.throwsAsync(c.batch.createNamespacedJob({ namespace: c.namespace, body }), { instanceOf: ApiException });
  const throttled = error as ApiException<string>;
  t.is(throttled.code, 429);
  t.is(throttled.headers["retry-after"], "1");
  t.like(JSON.parse(throttled.body), { reason: "TooManyRequests", details: { retryAfterSeconds: 1 } });
  t.deepEqual(c.fake.jobs(), [], "failed requests change nothing");
  await c.batch.createNamespacedJob({ namespace: c.namespace, body });
  t.is(c.fake.jobs().length, 1);
  t.is(c.fake.requests.filter((r) => r.method === "POST").length, 3);
});

test("ttlSecondsAfterFinished: a finished Job is deleted, with its pods", async (t) => {
  const c = await cluster(t);
  const body = shJob("short-lived", { main: "true" });
  body.spec!.ttlSecondsAfterFinished = 0;
  const created = await c.batch.createNamespacedJob({ namespace: c.namespace, body });
  const events = await watchUntil<V1Job>(c.kc, `/apis/batch/v1/namespaces/${c.namespace}/jobs`, { resourceVersion: created.metadata!.resourceVersion! }, (e) => e.type === "DELETED");
  t.true(events.some((e) => finishedCondition(e.object)?.type === "Complete"), "deleted after it completed");
  t.deepEqual(c.fake.pods(), [], "Foreground deletion: the pod went first");
});

test("apiLatencyMs delays every answer", async (t) => {
  const c = await cluster(t);
  c.fake.faults.apiLatencyMs = 300;
  const started = performance.now();
  await c.batch.listNamespacedJob({ namespace: c.namespace });
  t.true(performance.now() - started >= 290);
});

test("activeDeadlineSeconds: a Job running too long is failed with DeadlineExceeded and its pod is killed", async (t) => {
  const c = await cluster(t);
  const created = await c.batch.createNamespacedJob({
    namespace: c.namespace,
    body: shJob("too-slow", { main: 'echo started; sleep 60; echo "not reached"', activeDeadlineSeconds: 1 }),
  });
  const started = Date.now();
  const job = (await untilFinished(c, "too-slow", created.metadata?.resourceVersion)).at(-1)!.object;
  t.like(finishedCondition(job), { type: "Failed", reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" });
  t.true(Date.now() - started < 30_000, "the sleep was killed, not waited for");
  t.deepEqual(c.fake.pods(), [], "the controller deleted the active pod");
});

test("a pod waits for its ConfigMap volume; deleting the Job garbage-collects the ConfigMap it owns", async (t) => {
  const c = await cluster(t);
  const { namespace } = c;
  const job = await c.batch.createNamespacedJob({
    namespace,
    body: shJob("with-config", {
      main: 'cat "$CONFIG/greeting"',
      env: { CONFIG: "/etc/moneypenny" },
      volumes: [{ name: "config", configMap: { name: "with-config-input" } }],
      mounts: { config: "/etc/moneypenny" },
    }),
  });
  // The kubelet has started the pod, and holds it in ContainerCreating for want of the ConfigMap.
  const pending = await watchUntil<V1Pod>(c.kc, `/api/v1/namespaces/${namespace}/pods`, { labelSelector: "job-name=with-config" }, (e) => e.object.status?.startTime !== undefined);
  t.is(pending.at(-1)!.object.status?.phase, "Pending");
  t.is(pending.at(-1)!.object.status?.containerStatuses?.[0]?.state?.waiting?.reason, "ContainerCreating");
  const configMap = await c.core.createNamespacedConfigMap({
    namespace,
    body: {
      metadata: {
        name: "with-config-input",
        ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "with-config", uid: job.metadata!.uid!, controller: true }],
      },
      data: { greeting: "hello from the ConfigMap\n" },
    },
  });
  await untilFinished(c, "with-config", job.metadata?.resourceVersion);
  const [pod] = c.fake.pods();
  t.is(await c.core.readNamespacedPodLog({ name: pod!.metadata.name, namespace, container: "main" }), "hello from the ConfigMap\n");

  const collected = watchUntil<{ metadata: { name: string } }>(
    c.kc,
    `/api/v1/namespaces/${namespace}/configmaps`,
    { resourceVersion: configMap.metadata!.resourceVersion! },
    (e) => e.type === "DELETED" && e.object.metadata.name === "with-config-input",
  );
  await c.batch.deleteNamespacedJob({ name: "with-config", namespace, propagationPolicy: "Background" });
  await collected;
  t.deepEqual(c.fake.configMaps(), []);
  await apiError(t, c.core.readNamespacedConfigMap({ name: "with-config-input", namespace }), 404);
});

test("neverFinish keeps a Job running until it is deleted; Foreground deletion removes its pod first", async (t) => {
  const c = await cluster(t);
  c.fake.faults.neverFinish = (name) => name === "stuck";
  const created = await c.batch.createNamespacedJob({ namespace: c.namespace, body: shJob("stuck", { main: "true" }) });
  await watchUntil<{ status?: { phase?: string } }>(c.kc, `/api/v1/namespaces/${c.namespace}/pods`, { labelSelector: "job-name=stuck" }, (e) => e.object.status?.phase === "Running");
  t.is(c.fake.jobs()[0]?.status.active, 1);

  const events = watchUntil<V1Job>(c.kc, `/apis/batch/v1/namespaces/${c.namespace}/jobs`, { resourceVersion: created.metadata!.resourceVersion! }, (e) => e.type === "DELETED");
  await c.batch.deleteNamespacedJob({ name: "stuck", namespace: c.namespace, propagationPolicy: "Foreground" });
  const seen = await events;
  t.false(seen.some((e) => finishedCondition(e.object)), "it never finished");
  t.deepEqual(seen.find((e) => e.object.metadata?.deletionTimestamp)?.object.metadata?.finalizers, ["foregroundDeletion"]);
  t.deepEqual(c.fake.pods(), [], "the pod went before the Job");
});

test("a container without command runs its image's entrypoint with $(VAR)-expanded args; other volumes map to volumeDir()", async (t) => {
  const c = await cluster(t, { images: { "moneypenny-provisioner:1": { entrypoint: ["sh", "-c", 'mkdir "$1"', "provision"] } } });
  const body = shJob("entrypoint", { main: "unused" });
  body.spec!.template.spec!.containers = [
    {
      name: "main",
      image: "moneypenny-provisioner:1",
      // $(HOMES) is expanded by "Kubernetes" first, then the mount path is mapped to the host.
      args: ["$(HOMES)/alice"],
      env: [{ name: "HOMES", value: "/homes" }],
      volumeMounts: [{ name: "homes", mountPath: "/homes" }],
    },
  ];
  body.spec!.template.spec!.volumes = [{ name: "homes", nfs: { server: "nfs.example", path: "/export/homes" } }];
  const created = await c.batch.createNamespacedJob({ namespace: c.namespace, body });
  const job = (await untilFinished(c, "entrypoint", created.metadata?.resourceVersion)).at(-1)!.object;
  t.is(finishedCondition(job)?.type, "Complete");
  t.true((await stat(path.join(c.fake.volumeDir("homes"), "alice"))).isDirectory());
});

test("an image the fake does not know leaves the pod Pending in ErrImagePull, as a real kubelet does", async (t) => {
  const c = await cluster(t);
  const body = shJob("no-image", { main: "unused" });
  body.spec!.template.spec!.containers = [{ name: "main", image: "registry.example/missing:1" }];
  await c.batch.createNamespacedJob({ namespace: c.namespace, body });
  const events = await watchUntil<{ status?: { phase?: string; containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[] } }>(
    c.kc,
    `/api/v1/namespaces/${c.namespace}/pods`,
    { labelSelector: "job-name=no-image" },
    (e) => e.object.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ErrImagePull",
  );
  const status = events.at(-1)!.object.status;
  t.is(status?.phase, "Pending");
  t.regex(status?.containerStatuses?.[0]?.state?.waiting?.message ?? "", /registry\.example\/missing:1/);
  t.is(c.fake.jobs()[0]?.status.active, 1, "the Job is still active");
});

test("unknown paths, wrong methods and wrong tokens are answered with a Status", async (t) => {
  const c = await cluster(t);
  const call = async (method: string, apiPath: string, token = c.fake.token) => {
    const response = await fetch(c.fake.url + apiPath, { method, headers: { Authorization: `Bearer ${token}` } });
    return { code: response.status, body: (await response.json()) as { kind?: string; reason?: string } };
  };
  t.like(await call("GET", "/apis/apps/v1/namespaces/moneypenny/deployments"), { code: 404, body: { kind: "Status", reason: "NotFound" } });
  t.like(await call("PUT", "/apis/batch/v1/namespaces/moneypenny/jobs/x"), { code: 405, body: { kind: "Status", reason: "MethodNotAllowed" } });
  t.like(await call("GET", "/apis/batch/v1/namespaces/moneypenny/jobs", "wrong"), { code: 401, body: { kind: "Status", reason: "Unauthorized" } });
});

test("over HTTPS with a self-signed certificate: in-cluster configuration, and a kubeconfig with certificate-authority", async (t) => {
  const c = await cluster(t, { tls: true });
  t.true(c.fake.url.startsWith("https://"));
  t.is(c.kc.getCurrentCluster()?.caFile, c.fake.caCertPath);

  const inCluster = c.fake.inClusterKubeConfig();
  t.is(inCluster.getCurrentCluster()?.server, c.fake.url);
  t.is(inCluster.getContextObject(inCluster.getCurrentContext())?.namespace, "moneypenny");
  const batch = inCluster.makeApiClient(BatchV1Api);
  const created = await batch.createNamespacedJob({ namespace: c.namespace, body: shJob("secure", { main: "echo over tls" }) });
  const events = await watchUntil<V1Job>(inCluster, `/apis/batch/v1/namespaces/${c.namespace}/jobs`, { resourceVersion: created.metadata!.resourceVersion! }, (e) => finishedCondition(e.object) !== undefined);
  t.is(finishedCondition(events.at(-1)!.object)?.type, "Complete");
  t.is((await c.batch.listNamespacedJob({ namespace: c.namespace })).items.length, 1, "through the kubeconfig with certificate-authority");

  // The certificate is really checked: without the CA, the client refuses the server.
  const untrusting = new KubeConfig();
  untrusting.loadFromOptions({
    clusters: [{ name: "c", server: c.fake.url, skipTLSVerify: false }],
    users: [{ name: "u", token: c.fake.token }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  await t.throwsAsync(untrusting.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: c.namespace }), { any: true, message: /self[- ]signed/i });
});
