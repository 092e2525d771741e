import { randomUUID } from "node:crypto";
import type { Kubelet } from "./kubelet.js";
import { generateName, timestamp } from "./names.js";
import type { Job, JobCondition, JobStatus, Pod } from "./objects.js";
import type { Store } from "./store.js";

const condition = (type: string, reason: string, message: string): JobCondition => {
  const now = timestamp();
  return { type, status: "True", reason, message, lastProbeTime: now, lastTransitionTime: now };
};

/** A Job that has reached, or is about to reach, its end (the real controller's "finished" and "terminating" together). */
const isFinishing = (job: Job) =>
  (job.status.conditions ?? []).some((c) => c.status === "True" && ["Complete", "Failed", "SuccessCriteriaMet", "FailureTarget"].includes(c.type));

const controllerOf = (pod: Pod) => pod.metadata.ownerReferences?.find((ref) => ref.controller && ref.kind === "Job");

/**
 * The job controller, for the Jobs an executor creates (one pod, no
 * parallelism): it creates the Job's pod and turns the pod's end into the
 * Job's status. As in Kubernetes 1.31 and later, a Job ends in two updates:
 * SuccessCriteriaMet (or FailureTarget) first, then Complete (or Failed).
 *
 * A failed pod is replaced while `status.failed <= backoffLimit`, at once
 * (the real controller waits 10 s, 20 s, 40 s...). restartPolicy OnFailure is
 * treated like Never. activeDeadlineSeconds and ttlSecondsAfterFinished are
 * honoured.
 */
export class JobController {
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Pods already counted in their Job's status, so that a later change to a finished pod is not counted twice. */
  readonly #counted = new Set<string>();
  readonly #unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly kubelet: Kubelet,
    /** Deletes a Job with its pods, as the TTL-after-finished controller does. */
    private readonly collect: (namespace: string, name: string) => void,
  ) {
    this.#unsubscribe = store.subscribe((event) => {
      if (event.resource === "jobs" && event.type === "ADDED") this.#start(event.object);
      else if (event.resource === "pods" && event.type === "MODIFIED") this.#podChanged(event.object);
    });
  }

  stop(): void {
    this.#unsubscribe();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #start(job: Job): void {
    if (job.spec.suspend) return;
    this.#createPod(job);
    this.#updateStatus(job, (status) => {
      status.startTime = timestamp();
      status.active = 1;
    });
    const deadline = job.spec.activeDeadlineSeconds;
    if (deadline !== undefined) this.#after(deadline * 1000, () => this.#deadlineExceeded(job));
  }

  #createPod(job: Job): void {
    const { name, namespace, uid } = job.metadata;
    const template = structuredClone(job.spec.template);
    const now = timestamp();
    const pod: Pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        ...template.metadata,
        name: generateName(`${name}-`),
        generateName: `${name}-`,
        namespace,
        uid: randomUUID(),
        resourceVersion: "",
        creationTimestamp: now,
        labels: { ...template.metadata?.labels },
        ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name, uid, controller: true, blockOwnerDeletion: true }],
      },
      spec: { ...template.spec, nodeName: "fake-node" },
      status: {
        phase: "Pending",
        conditions: [{ type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now }],
        qosClass: "BestEffort",
      },
    };
    this.store.create("pods", pod);
  }

  #podChanged(pod: Pod): void {
    const phase = pod.status.phase;
    if ((phase !== "Succeeded" && phase !== "Failed") || this.#counted.has(pod.metadata.uid)) return;
    const owner = controllerOf(pod);
    const job = owner && this.store.get("jobs", pod.metadata.namespace, owner.name);
    if (!job || job.metadata.uid !== owner.uid || job.metadata.deletionTimestamp || isFinishing(job)) return;
    this.#counted.add(pod.metadata.uid);
    if (phase === "Succeeded") {
      const reason = ["CompletionsReached", "Reached expected number of succeeded pods"] as const;
      this.#updateStatus(job, (status) => {
        delete status.active;
        status.succeeded = (status.succeeded ?? 0) + 1;
        status.conditions = [...(status.conditions ?? []), condition("SuccessCriteriaMet", ...reason)];
      });
      this.#updateStatus(job, (status) => {
        status.completionTime = timestamp();
        status.conditions = [...(status.conditions ?? []), condition("Complete", ...reason)];
      });
      this.#finished(job);
      return;
    }
    const failed = (job.status.failed ?? 0) + 1;
    if (failed <= (job.spec.backoffLimit ?? 6)) {
      this.#updateStatus(job, (status) => (status.failed = failed));
      this.#createPod(job);
      return;
    }
    this.#fail(job, "BackoffLimitExceeded", "Job has reached the specified backoff limit", failed);
  }

  async #deadlineExceeded(job: Job): Promise<void> {
    const current = this.store.get("jobs", job.metadata.namespace, job.metadata.name);
    if (!current || current.metadata.uid !== job.metadata.uid || current.metadata.deletionTimestamp || isFinishing(current)) return;
    const active = this.store
      .list("pods", job.metadata.namespace)
      .filter((p) => controllerOf(p)?.uid === job.metadata.uid && p.status.phase !== "Succeeded" && p.status.phase !== "Failed");
    for (const pod of active) this.#counted.add(pod.metadata.uid);
    const reason = ["DeadlineExceeded", "Job was active longer than specified deadline"] as const;
    this.#updateStatus(job, (status) => {
      delete status.active;
      status.failed = (status.failed ?? 0) + active.length;
      status.conditions = [...(status.conditions ?? []), condition("FailureTarget", ...reason)];
    });
    // The controller deletes the active pods, and declares the Job Failed once they are gone.
    await Promise.all(active.map((pod) => this.kubelet.deletePod(pod.metadata.namespace, pod.metadata.name)));
    this.#updateStatus(job, (status) => {
      status.conditions = [...(status.conditions ?? []), condition("Failed", ...reason)];
    });
    this.#finished(job);
  }

  #fail(job: Job, reason: string, message: string, failed: number): void {
    this.#updateStatus(job, (status) => {
      delete status.active;
      status.failed = failed;
      status.conditions = [...(status.conditions ?? []), condition("FailureTarget", reason, message)];
    });
    this.#updateStatus(job, (status) => {
      status.conditions = [...(status.conditions ?? []), condition("Failed", reason, message)];
    });
    this.#finished(job);
  }

  #finished(job: Job): void {
    const ttl = job.spec.ttlSecondsAfterFinished;
    if (ttl === undefined) return;
    this.#after(ttl * 1000, () => {
      const current = this.store.get("jobs", job.metadata.namespace, job.metadata.name);
      if (current?.metadata.uid === job.metadata.uid) this.collect(job.metadata.namespace, job.metadata.name);
    });
  }

  /** Changes the status of this Job (not of a later Job of the same name). */
  #updateStatus(job: Job, change: (status: JobStatus) => void): void {
    const current = this.store.get("jobs", job.metadata.namespace, job.metadata.name);
    if (current?.metadata.uid !== job.metadata.uid) return;
    this.store.update("jobs", job.metadata.namespace, job.metadata.name, (j) => change(j.status));
  }

  #after(ms: number, action: () => void | Promise<void>): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      void Promise.resolve(action()).catch((error: unknown) =>
        queueMicrotask(() => {
          throw error;
        }),
      );
    }, ms);
    this.#timers.add(timer);
  }
}
