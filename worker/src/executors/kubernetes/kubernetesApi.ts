import { existsSync, readFileSync } from "node:fs";
import { BatchV1Api, CoreV1Api, KubeConfig, Watch } from "@kubernetes/client-node";
import type { KubernetesSettings } from "@moneypenny/shared";

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The clients the executor uses, bound to the namespace it works in. */
export interface KubernetesApi {
  batch: BatchV1Api;
  core: CoreV1Api;
  watch: Watch;
  namespace: string;
}

/**
 * In a pod, the service account (its token, CA and namespace); elsewhere the
 * kubeconfig named by KUBECONFIG. `serviceAccountRoot` prefixes the
 * service-account paths (empty in a real pod).
 */
export function connectKubernetes(settings: KubernetesSettings, env: NodeJS.ProcessEnv = process.env): KubernetesApi {
  const kc = new KubeConfig();
  const accountDir = `${settings.serviceAccountRoot}${SERVICE_ACCOUNT_DIR}`;
  const inCluster = env["KUBERNETES_SERVICE_HOST"] !== undefined && existsSync(`${accountDir}/token`);
  if (inCluster) {
    kc.loadFromCluster(settings.serviceAccountRoot);
  } else if (settings.kubeconfig !== undefined) {
    kc.loadFromFile(settings.kubeconfig);
  } else {
    throw new Error("the kubernetes executor needs cluster access: run in a pod with a service account, or set KUBECONFIG");
  }
  const namespace =
    settings.namespace ??
    (inCluster && existsSync(`${accountDir}/namespace`) ? readFileSync(`${accountDir}/namespace`, "utf8").trim() : undefined) ??
    kc.getContextObject(kc.getCurrentContext())?.namespace;
  if (namespace === undefined || namespace === "") {
    throw new Error("no namespace for the order Jobs: set MONEYPENNY_K8S_NAMESPACE (outside a pod there is no service-account namespace)");
  }
  return { batch: kc.makeApiClient(BatchV1Api), core: kc.makeApiClient(CoreV1Api), watch: new Watch(kc), namespace };
}
