import test from "ava";
import { DEFAULT_IDENTITY_RULES, loadWorkerConfig, type Dossier } from "@moneypenny/shared";
import { defaultOrders, orderJobName, parseOrders, renderOrderManifests, OrdersError } from "@moneypenny/worker";
import { baselineViolations } from "../helpers/podSecurityBaseline.js";

const settings = loadWorkerConfig({ MONEYPENNY_HOMES_VOLUME: "{nfs: {server: nfs.example.org, path: /export/homes}}" }).kubernetes;
const dossier: Dossier = { username: "alice", uid: 2001, gid: 2001, groups: [{ name: "science", id: 3000 }] };
const jobSettings = { namespace: "moneypenny", activeDeadlineSeconds: 300, ttlSecondsAfterFinished: 3600 };

test("the default provisioner pod passes every rule of the Pod Security Standards baseline level", (t) => {
  const orders = defaultOrders(settings, DEFAULT_IDENTITY_RULES, 0o700);
  const { job } = renderOrderManifests("commission", dossier, orders, jobSettings, "commission-alice-1");
  const template = job.spec!.template;
  const pod = template.spec!;
  t.deepEqual(baselineViolations(template), []);
  const container = pod.containers[0]!;
  t.like(container.securityContext, {
    runAsUser: 0,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    seccompProfile: { type: "RuntimeDefault" },
    capabilities: { drop: ["ALL"], add: ["CHOWN", "DAC_OVERRIDE", "FOWNER"] },
  });
  // The checker itself fails what it should.
  const withSpec = (spec: typeof pod) => ({ ...template, spec });
  t.notDeepEqual(baselineViolations(withSpec({ ...pod, volumes: [{ name: "h", hostPath: { path: "/" } }] })), []);
  t.notDeepEqual(baselineViolations(withSpec({ ...pod, containers: [{ ...container, securityContext: { privileged: true } }] })), []);
  t.notDeepEqual(baselineViolations(withSpec({ ...pod, containers: [{ ...container, securityContext: { capabilities: { add: ["SYS_ADMIN"] } } }] })), []);
  t.notDeepEqual(baselineViolations(withSpec({ ...pod, hostPID: true })), []);
  t.notDeepEqual(baselineViolations({ ...template, metadata: { annotations: { "container.apparmor.security.beta.kubernetes.io/provisioner": "unconfined" } } }), []);
});

test("a Job: deterministic DNS-1123 name, labels, annotation, least privilege, the dossier as file and env", (t) => {
  const orders = defaultOrders(settings, DEFAULT_IDENTITY_RULES, 0o700);
  const { job, configMap } = renderOrderManifests("commission", dossier, orders, jobSettings, "commission-alice-1");
  const name = job.metadata!.name!;
  t.regex(name, /^mp-commission-alice-[0-9a-f]{10}$/);
  t.is(orderJobName("commission", dossier), name);
  t.not(orderJobName("commission", { ...dossier, uid: 2002 }), name, "another dossier, another Job");
  t.not(orderJobName("retire", dossier), name);
  t.deepEqual(job.metadata!.labels, { "app.kubernetes.io/managed-by": "moneypenny", "moneypenny.lsst.io/user": "alice", "moneypenny.lsst.io/order": "commission" });
  t.is(job.metadata!.annotations!["moneypenny.lsst.io/queue-job"], "commission-alice-1");
  t.like(job.spec, { backoffLimit: 0, activeDeadlineSeconds: 300, ttlSecondsAfterFinished: 3600 });
  const pod = job.spec!.template.spec!;
  t.like(pod, { restartPolicy: "Never", automountServiceAccountToken: false });
  const main = pod.containers[0]!;
  t.deepEqual(main.args, ["commission"]);
  t.deepEqual(JSON.parse(main.env!.find((e) => e.name === "MONEYPENNY_DOSSIER")!.value!), dossier);
  t.deepEqual(main.volumeMounts!.find((m) => m.name === "dossier"), { name: "dossier", mountPath: "/opt/dossier", readOnly: true });
  t.deepEqual(pod.volumes!.find((v) => v.name === "dossier"), { name: "dossier", configMap: { name } });
  t.deepEqual(pod.volumes!.find((v) => v.name === "homes"), { name: "homes", nfs: { server: "nfs.example.org", path: "/export/homes" } });
  const cm = configMap("uid-123");
  t.is(cm.metadata!.name, name);
  t.deepEqual(cm.metadata!.ownerReferences, [{ apiVersion: "batch/v1", kind: "Job", name, uid: "uid-123", blockOwnerDeletion: false }]);
  t.deepEqual(JSON.parse(cm.data!["dossier.json"]!), dossier);
});

test("names stay valid for long or odd usernames", (t) => {
  const odd = { ...dossier, username: `_${"x".repeat(80)}_` };
  const name = orderJobName("commission", odd);
  t.true(name.length <= 63);
  t.regex(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  const { job } = renderOrderManifests("commission", odd, defaultOrders(settings, DEFAULT_IDENTITY_RULES, 0o700), jobSettings, "j");
  const label = job.metadata!.labels!["moneypenny.lsst.io/user"]!;
  t.true(label.length <= 63);
  t.regex(label, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  t.is(job.metadata!.annotations!["moneypenny.lsst.io/username"], odd.username);
});

test("an orders file: the last container is the main one, the others init containers in order", (t) => {
  const orders = parseOrders(
    `
commission:
  - name: first
    image: busybox
    command: [sh, -c, "echo one"]
  - name: second
    image: busybox
    command: [sh, -c, "echo two"]
    volumeMounts: [{name: homes, mountPath: /homes}]
retire: []
volumes:
  - name: homes
    persistentVolumeClaim: {claimName: homes}
`,
    "test",
  );
  const { job } = renderOrderManifests("commission", dossier, orders, jobSettings, "j");
  const pod = job.spec!.template.spec!;
  t.deepEqual(pod.initContainers!.map((c) => c.name), ["first"]);
  t.deepEqual(pod.containers.map((c) => c.name), ["second"]);
  t.deepEqual(orders.retire, []);
});

test("a bad orders file is refused with a message naming the key and why", (t) => {
  const cases: [string, RegExp][] = [
    ["commission:\n  - image: x\n    imagee: y\n", /commission\.0\.imagee: unknown key/],
    ["commission:\n  - command: [sh]\n", /commission\.0\.image/],
    ["commision: []\n", /commision: unknown key/],
    ["volumes:\n  - name: Homes\n    emptyDir: {}\n", /volumes\.0\.name: must be a DNS-1123 label/],
    ["volumes:\n  - name: homes\n", /volumes\.0: must have a name and exactly one volume source/],
    ["commission:\n  - image: x\n    volumeMounts: [{name: nope, mountPath: /x}]\n", /commission\.0\.volumeMounts: no volume named nope/],
    ["commission: [\n", /not valid YAML/],
    ["volumes:\n  - name: dossier\n    emptyDir: {}\n", /volumes\.0\.name: "dossier" is reserved/],
    ["commission:\n  - {name: a, image: x}\n  - {name: a, image: y}\n", /commission\.1\.name: duplicate container name a/],
    ["commission:\n  - image: x\n    env: [{name: MONEYPENNY_DOSSIER, value: x}]\n", /commission\.0\.env: MONEYPENNY_DOSSIER is set by Moneypenny/],
    ["commission:\n  - image: x\n    volumeMounts: [{name: v, mountPath: /opt/dossier}]\nvolumes:\n  - name: v\n    emptyDir: {}\n", /\/opt\/dossier is reserved/],
  ];
  for (const [text, message] of cases) {
    const error = t.throws(() => parseOrders(text, "orders.yaml"), { instanceOf: OrdersError });
    t.regex(error.message, message);
    t.regex(error.message, /- orders\.yaml: /);
  }
  t.throws(() => defaultOrders({ ...settings, homesVolume: undefined }, DEFAULT_IDENTITY_RULES, 0o700), { message: /MONEYPENNY_HOMES_VOLUME/ });
});

test("the example orders file in deploy/ is valid, and its pods pass the baseline level", async (t) => {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(new URL("../../deploy/orders.example.yaml", import.meta.url), "utf8");
  const orders = parseOrders(text, "deploy/orders.example.yaml");
  for (const order of ["commission", "retire"] as const) {
    const { job } = renderOrderManifests(order, dossier, orders, jobSettings, "j");
    t.deepEqual(baselineViolations(job.spec!.template), [], order);
  }
});
