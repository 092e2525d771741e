import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { BatchV1Api } from "@kubernetes/client-node";
import { DEFAULT_IDENTITY_RULES, loadWorkerConfig } from "@moneypenny/shared";
import { defaultOrders, renderOrderManifests } from "@moneypenny/worker";
import type { RecordedRequest } from "../fakeKubernetes/server.js";
import { isRoot } from "../helpers/filesystem.js";
import { kubernetesDeployment } from "../helpers/kubernetesDeployment.js";
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
  const { CoreV1Api } = await import("@kubernetes/client-node");
  await fake.kubeConfig().makeApiClient(CoreV1Api).createNamespacedConfigMap({ namespace: fake.namespace, body: configMap(created.metadata!.uid!) });
  await mp.request("POST", "/moneypenny/users", { body: dossier });
  await mp.startWorker();
  t.is(await mp.wait("kim"), 307);
  // "created" is what the first Job's provisioner did; a second run would have said "already-existed".
  t.like((await mp.status("kim")).body, { status: "active", result: { action: "created" } });
  t.is(jobPosts(fake.requests).length, 2, "ours, then the worker's, which was answered 409 and adopted the Job");
  t.deepEqual(fake.jobs(), [], "and deleted it once the result was recorded");
});
