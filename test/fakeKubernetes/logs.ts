import type { Kubelet } from "./kubelet.js";
import type { Store } from "./store.js";
import { badRequest, notFound } from "./status.js";

function integerParameter(query: Record<string, string>, name: string): number | undefined {
  const text = query[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw badRequest(`${name}: Invalid value: "${text}": must be a non-negative integer`);
  return value;
}

/** The last `count` lines; a last line without its newline counts as a line, as in the kubelet. */
function tail(text: string, count: number): string {
  const lines = text.split("\n");
  const newlineAtEnd = lines.at(-1) === "";
  if (newlineAtEnd) lines.pop();
  const kept = count === 0 ? [] : lines.slice(-count);
  return kept.join("\n") + (newlineAtEnd && kept.length > 0 ? "\n" : "");
}

/**
 * GET .../pods/{name}/log: the container's output so far, with the real
 * server's answers for a missing, ambiguous, or not yet started container.
 * `follow`, `previous` (there are never restarts), `timestamps` and
 * `sinceSeconds` are not supported.
 */
export function podLog(store: Store, kubelet: Kubelet, namespace: string, podName: string, query: Record<string, string>): string {
  const pod = store.get("pods", namespace, podName);
  if (!pod) throw notFound("pods", podName);
  let container = query["container"];
  if (!container) {
    const [only, ...others] = pod.spec.containers;
    if (!only || others.length > 0) {
      throw badRequest(`a container name must be specified for pod ${podName}, choose one of: [${pod.spec.containers.map((c) => c.name).join(" ")}]`);
    }
    container = only.name;
  }
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  if (!all.some((c) => c.name === container)) throw badRequest(`container ${container} is not valid for pod ${podName}`);
  if (query["previous"] === "true") throw badRequest(`previous terminated container "${container}" in pod "${podName}" not found`);
  for (const unsupported of ["follow", "timestamps"]) {
    if (query[unsupported] === "true") throw badRequest(`FakeKubernetes does not implement ${unsupported} for pod logs`);
  }
  if (query["sinceSeconds"] !== undefined || query["sinceTime"] !== undefined) throw badRequest("FakeKubernetes does not implement sinceSeconds or sinceTime for pod logs");
  const log = kubelet.log(namespace, podName, container);
  if (log === undefined) {
    const statuses = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])];
    const reason = statuses.find((s) => s.name === container)?.state.waiting?.reason ?? "ContainerCreating";
    throw badRequest(`container "${container}" in pod "${podName}" is waiting to start: ${reason}`);
  }
  const tailLines = integerParameter(query, "tailLines");
  const limitBytes = integerParameter(query, "limitBytes");
  const text = tailLines === undefined ? log : tail(log, tailLines);
  return limitBytes === undefined ? text : Buffer.from(text).subarray(0, limitBytes).toString();
}
