import { timestamp } from "./names.js";
import { PodRun, type KubeletContext } from "./podRun.js";

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * The fake node: it starts every new pod (the scheduler's and the kubelet's
 * work in one), keeps the logs of its containers, and carries out pod
 * deletion, which is graceful: the pod is marked (deletionTimestamp), its
 * processes are stopped, and only then does the pod object go away.
 */
export class Kubelet {
  readonly #runs = new Map<string, PodRun>();
  readonly #unsubscribe: () => void;

  constructor(private readonly context: KubeletContext) {
    this.#unsubscribe = context.store.subscribe((event) => {
      if (event.resource !== "pods" || event.type !== "ADDED") return;
      const { namespace, name } = event.object.metadata;
      this.#runs.set(key(namespace, name), new PodRun(event.object, context));
    });
  }

  /** The container's log, or undefined when the container has not started (or the pod is unknown). */
  log(namespace: string, pod: string, container: string): string | undefined {
    return this.#runs.get(key(namespace, pod))?.log(container);
  }

  async deletePod(namespace: string, name: string, gracePeriodSeconds?: number): Promise<void> {
    const { store } = this.context;
    const pod = store.get("pods", namespace, name);
    if (!pod) return;
    const grace = gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    if (!pod.metadata.deletionTimestamp) {
      store.update("pods", namespace, name, (p) => {
        p.metadata.deletionTimestamp = timestamp(new Date(Date.now() + grace * 1000));
        p.metadata.deletionGracePeriodSeconds = grace;
      });
    }
    await this.#runs.get(key(namespace, name))?.stop(grace);
    this.#runs.delete(key(namespace, name));
    store.remove("pods", namespace, name);
  }

  /** Kills every process at once (no grace), for the end of a test. */
  async stop(): Promise<void> {
    this.#unsubscribe();
    await Promise.all([...this.#runs.values()].map((run) => run.stop(0)));
  }
}
