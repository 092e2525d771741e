import type { V1Job, V1Pod } from "@kubernetes/client-node";
import type { Logger } from "@moneypenny/shared";
import { followJob, jobCondition, jobOutcome, readJob } from "./jobFollower.js";
import { MANAGED_BY, MANAGED_BY_LABEL, QUEUE_JOB_ANNOTATION, type OrderManifests } from "./jobManifest.js";
import type { KubernetesApi } from "./kubernetesApi.js";
import { KubernetesFailure, kubernetesFailure, statusOf } from "./kubernetesFailure.js";

/** How a Job ended: success, or a failure saying why (with the main container's last log lines). */
export type JobResult = { ok: true; job: string; output: string } | { ok: false; job: string; permanent: boolean; message: string };

export interface RunnerSettings {
  resyncMs: number;
  orderTimeoutMs: number;
}

/** The exit code the provisioner uses for "try again later" (EX_TEMPFAIL). */
const EX_TEMPFAIL = 75;
const LOG_LINES = 20;

/**
 * Runs one order as one Job, at least once and never twice at a time:
 * create it, or adopt the one an earlier attempt created (409 AlreadyExists),
 * make sure its dossier ConfigMap exists, and follow it until it finishes.
 */
export class OrderJobRunner {
  constructor(
    private readonly api: KubernetesApi,
    private readonly settings: RunnerSettings,
  ) {}

  async run(manifests: OrderManifests, signal: AbortSignal, log: Logger): Promise<JobResult> {
    const name = manifests.job.metadata!.name!;
    const deadline = AbortSignal.timeout(this.settings.orderTimeoutMs);
    const both = AbortSignal.any([signal, deadline]);
    const job = await this.#createOrAdopt(manifests, both, log);
    await this.#ensureConfigMap(manifests, job, both);
    let finished: V1Job | undefined;
    try {
      finished = await followJob(this.api, name, (j) => j === undefined || jobOutcome(j) !== undefined, { signal: both, resyncMs: this.settings.resyncMs, log });
    } catch (error) {
      if (deadline.aborted && !signal.aborted) {
        return { ok: false, job: name, permanent: false, message: `Job ${name} did not finish within ${this.settings.orderTimeoutMs / 1000} s (MONEYPENNY_ORDER_TIMEOUT_SECONDS)` };
      }
      throw error;
    }
    if (finished === undefined) return { ok: false, job: name, permanent: false, message: `Job ${name} was deleted before it finished` };
    if (jobOutcome(finished) === "Complete") return { ok: true, job: name, output: await this.#mainLog(finished, 1) };
    return this.#failure(finished);
  }

  /** Deletes the Job (its pods and ConfigMap go with it); an absent Job is fine. */
  async delete(name: string): Promise<void> {
    try {
      await this.api.batch.deleteNamespacedJob({ name, namespace: this.api.namespace, propagationPolicy: "Background" });
    } catch (error) {
      if (statusOf(error) !== 404) throw kubernetesFailure(error, `delete Job ${name}`);
    }
  }

  async #createOrAdopt(manifests: OrderManifests, signal: AbortSignal, log: Logger): Promise<V1Job> {
    const name = manifests.job.metadata!.name!;
    for (;;) {
      signal.throwIfAborted();
      try {
        const created = await this.api.batch.createNamespacedJob({ namespace: this.api.namespace, body: manifests.job });
        log.info({ job: name }, "Job created");
        return created;
      } catch (error) {
        if (statusOf(error) !== 409) throw kubernetesFailure(error, `create Job ${name}`);
      }
      // An earlier attempt (or a worker that crashed) created it.
      const existing = await readJob(this.api, name);
      if (existing === undefined) continue; // deleted in between: create again
      if (existing.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) {
        throw new KubernetesFailure(`a Job named ${name} exists that Moneypenny did not create; refusing to adopt it`, true, 409);
      }
      const outcome = jobOutcome(existing);
      const sameOrder = existing.metadata?.annotations?.[QUEUE_JOB_ANNOTATION] === manifests.job.metadata?.annotations?.[QUEUE_JOB_ANNOTATION];
      if (existing.metadata?.deletionTimestamp === undefined && (outcome === undefined || (outcome === "Complete" && sameOrder))) {
        // Running, or completed for this very order: adopt it (its result stands; nothing runs twice).
        log.info({ job: name, outcome }, "adopting the existing Job");
        return existing;
      }
      // Failed (this attempt is to run it again), or finished for an earlier order
      // (its clean-up was lost; its outcome is not this order's): delete it, wait
      // until it is gone, and create a fresh one.
      if (existing.metadata?.deletionTimestamp === undefined) {
        log.info({ job: name, outcome }, "deleting a finished Job before running the order again");
        await this.delete(name);
      }
      await followJob(this.api, name, (j) => j === undefined, { signal, resyncMs: this.settings.resyncMs, log });
    }
  }

  /**
   * Creates the Job's dossier ConfigMap, owned by it. One left by a deleted
   * Job of the same name (its owner uid is another) would be garbage-collected
   * under the new Job's feet, so it is replaced.
   */
  async #ensureConfigMap(manifests: OrderManifests, job: V1Job, signal: AbortSignal): Promise<void> {
    const body = manifests.configMap(job.metadata?.uid ?? "");
    const name = body.metadata!.name!;
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      try {
        await this.api.core.createNamespacedConfigMap({ namespace: this.api.namespace, body });
        return;
      } catch (error) {
        if (statusOf(error) !== 409) throw kubernetesFailure(error, `create ConfigMap ${name}`);
      }
      let existing;
      try {
        existing = await this.api.core.readNamespacedConfigMap({ name, namespace: this.api.namespace });
      } catch (error) {
        if (statusOf(error) === 404) continue;
        throw kubernetesFailure(error, `read ConfigMap ${name}`);
      }
      if (existing.metadata?.ownerReferences?.some((o) => o.uid === job.metadata?.uid)) return;
      if (attempt >= 20) throw new KubernetesFailure(`ConfigMap ${name} belongs to another Job and cannot be replaced`, false, 409);
      try {
        await this.api.core.deleteNamespacedConfigMap({ name, namespace: this.api.namespace });
      } catch (error) {
        if (statusOf(error) !== 404) throw kubernetesFailure(error, `delete ConfigMap ${name}`);
      }
      // Deletion is asynchronous: give the API server a moment before creating again.
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * (attempt + 1), 1000)));
    }
  }

  async #failure(job: V1Job): Promise<JobResult> {
    const name = job.metadata!.name!;
    const condition = jobCondition(job, "Failed");
    const pod = await this.#latestPod(name);
    const exitCode = pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode
      ?? pod?.status?.initContainerStatuses?.find((s) => (s.state?.terminated?.exitCode ?? 0) !== 0)?.state?.terminated?.exitCode;
    // A deadline, the provisioner's "try again", or a pod that ended without a
    // container's exit code (evicted, its node lost) may pass; any other failure
    // of an order is its answer.
    const permanent = condition?.reason !== "DeadlineExceeded" && exitCode !== EX_TEMPFAIL && exitCode !== undefined;
    const logs = await this.#mainLog(job, LOG_LINES, pod);
    const why = [condition?.reason, condition?.message].filter(Boolean).join(": ") || "failed";
    const message = `Job ${name} failed (${why}${exitCode === undefined ? "" : `, exit code ${exitCode}`})` + (logs ? `; last log lines:\n${logs}` : "");
    return { ok: false, job: name, permanent, message };
  }

  async #latestPod(jobName: string): Promise<V1Pod | undefined> {
    try {
      const pods = await this.api.core.listNamespacedPod({ namespace: this.api.namespace, labelSelector: `job-name=${jobName}` });
      return pods.items.sort((a, b) => String(b.metadata?.creationTimestamp ?? "").localeCompare(String(a.metadata?.creationTimestamp ?? "")))[0];
    } catch {
      return undefined; // the logs are a courtesy: their absence must not hide the failure
    }
  }

  /** The last lines of the failed container's log (or the main one's); empty when there are none. */
  async #mainLog(job: V1Job, lines: number, knownPod?: V1Pod): Promise<string> {
    const pod = knownPod ?? (await this.#latestPod(job.metadata!.name!));
    const failedInit = pod?.status?.initContainerStatuses?.find((s) => (s.state?.terminated?.exitCode ?? 0) !== 0)?.name;
    const container = failedInit ?? job.spec?.template.spec?.containers[0]?.name;
    if (pod?.metadata?.name === undefined || container === undefined) return "";
    try {
      const text = await this.api.core.readNamespacedPodLog({ name: pod.metadata.name, namespace: this.api.namespace, container, tailLines: lines });
      return String(text).trimEnd();
    } catch {
      return "";
    }
  }
}
