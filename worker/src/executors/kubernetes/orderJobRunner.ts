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
    await this.#ensureConfigMap(manifests, job);
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
      try {
        const created = await this.api.batch.createNamespacedJob({ namespace: this.api.namespace, body: manifests.job });
        log.info({ job: name }, "Job created");
        return created;
      } catch (error) {
        if (statusOf(error) !== 409) throw kubernetesFailure(error, `create Job ${name}`);
      }
      // An earlier attempt (or a worker that crashed) created it: adopt it.
      const existing = await readJob(this.api, name);
      if (existing === undefined) continue; // deleted in between: create again
      if (existing.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) {
        throw new KubernetesFailure(`a Job named ${name} exists that Moneypenny did not create; refusing to adopt it`, true, 409);
      }
      const queueJob = manifests.job.metadata?.annotations?.[QUEUE_JOB_ANNOTATION];
      const stale = jobOutcome(existing) !== undefined && existing.metadata?.annotations?.[QUEUE_JOB_ANNOTATION] !== queueJob;
      if (stale) {
        // Finished for an earlier order (its clean-up was lost): its outcome is not this order's.
        log.info({ job: name }, "deleting a finished Job left by an earlier order");
        await this.delete(name);
      }
      if (stale || existing.metadata?.deletionTimestamp !== undefined) {
        // Being deleted: wait until it is gone, then create a fresh one.
        await followJob(this.api, name, (j) => j === undefined, { signal, resyncMs: this.settings.resyncMs, log });
        continue;
      }
      log.info({ job: name }, "adopting the existing Job");
      return existing;
    }
  }

  async #ensureConfigMap(manifests: OrderManifests, job: V1Job): Promise<void> {
    const body = manifests.configMap(job.metadata?.uid ?? "");
    try {
      await this.api.core.createNamespacedConfigMap({ namespace: this.api.namespace, body });
    } catch (error) {
      if (statusOf(error) !== 409) throw kubernetesFailure(error, `create ConfigMap ${body.metadata?.name}`);
    }
  }

  async #failure(job: V1Job): Promise<JobResult> {
    const name = job.metadata!.name!;
    const condition = jobCondition(job, "Failed");
    const pod = await this.#latestPod(name);
    const exitCode = pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode
      ?? pod?.status?.initContainerStatuses?.find((s) => (s.state?.terminated?.exitCode ?? 0) !== 0)?.state?.terminated?.exitCode;
    // A deadline or the provisioner's "try again" may pass; any other failure of an order is its answer.
    const permanent = condition?.reason !== "DeadlineExceeded" && exitCode !== EX_TEMPFAIL;
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
