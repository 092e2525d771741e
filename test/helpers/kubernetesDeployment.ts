import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ExecutionContext } from "ava";
import type { Env } from "@moneypenny/shared";
import { FakeKubernetes } from "../fakeKubernetes/fakeKubernetes.js";
import { Deployment } from "./deployment.js";
import type { RedisServer } from "./redisServer.js";

const root = path.resolve(import.meta.dirname, "../..");
export const PROVISIONER_IMAGE = "moneypenny-provisioner:test";

/** The provisioner image, as the fake node runs it: the real provisioner command, from source. */
export const provisionerImage = {
  [PROVISIONER_IMAGE]: {
    entrypoint: [process.execPath, `--import=${import.meta.resolve("tsx")}`, "--conditions=source", path.join(root, "worker/src/provisioner/cli.ts")],
  },
};

export interface KubernetesSetup {
  fake: FakeKubernetes;
  mp: Deployment;
  /** Where the fake node keeps the homes volume. */
  homes: string;
  env: Env;
}

/**
 * Moneypenny with the kubernetes executor against a fake cluster: the homes
 * volume is a PVC named `homes`, the orders the defaults (unless `orders` is
 * given, as the text of an orders file).
 */
export async function kubernetesDeployment(
  t: ExecutionContext,
  redis: RedisServer,
  options: { orders?: string; env?: Env; worker?: boolean } = {},
): Promise<KubernetesSetup> {
  const fake = await FakeKubernetes.start({ images: provisionerImage });
  t.teardown(() => fake.stop());
  const dir = await mkdtemp(path.join(tmpdir(), "moneypenny-k8s-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const env: Record<string, string | undefined> = {
    MONEYPENNY_EXECUTOR: "kubernetes",
    KUBECONFIG: await fake.writeKubeconfig(dir),
    MONEYPENNY_K8S_NAMESPACE: fake.namespace,
    MONEYPENNY_PROVISIONER_IMAGE: PROVISIONER_IMAGE,
    MONEYPENNY_HOMES_VOLUME: "{persistentVolumeClaim: {claimName: homes}}",
    MONEYPENNY_K8S_RESYNC_SECONDS: "5",
    ...options.env,
  };
  if (options.orders !== undefined) {
    const file = path.join(dir, "orders.yaml");
    await writeFile(file, options.orders);
    env["MONEYPENNY_ORDERS_FILE"] = file;
  }
  const mp = await Deployment.start(redis, { env, worker: options.worker ?? true });
  t.teardown(() => mp.stop());
  return { fake, mp, homes: fake.volumeDir("homes"), env: mp.env };
}
