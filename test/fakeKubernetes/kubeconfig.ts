import { stringify } from "yaml";

export interface KubeconfigTarget {
  url: string;
  namespace: string;
  token: string;
  /** For https; without it (http), the cluster is marked insecure-skip-tls-verify, which client-node requires before it talks http at all. */
  caCertPath: string | undefined;
}

/** A kubeconfig with one cluster, one token user and one context, current. */
export function kubeconfigYaml({ url, namespace, token, caCertPath }: KubeconfigTarget): string {
  const name = "fake-kubernetes";
  const cluster = caCertPath ? { server: url, "certificate-authority": caCertPath } : { server: url, "insecure-skip-tls-verify": true };
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace } }],
    "current-context": name,
  });
}
