import type { Logger } from "@moneypenny/shared";
import { jobOutcome } from "./jobFollower.js";
import { MANAGED_BY, MANAGED_BY_LABEL } from "./jobManifest.js";
import type { KubernetesApi } from "./kubernetesApi.js";
import { kubernetesFailure } from "./kubernetesFailure.js";

/**
 * Deletes finished Jobs that a worker left behind (it crashed between the Job
 * finishing and deleting it), once they are older than `maxAgeMs`. Only Jobs
 * labelled as Moneypenny's are ever touched. Runs at start-up and periodically.
 */
export class OrphanSweeper {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly api: KubernetesApi,
    private readonly maxAgeMs: number,
    private readonly log: Logger,
  ) {}

  start(intervalMs: number): void {
    const sweep = () => this.sweep().catch((error: unknown) => this.log.warn({ err: error }, "orphan sweep failed; will try again"));
    void sweep();
    this.#timer = setInterval(sweep, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One pass; answers the names it deleted. */
  async sweep(now = Date.now()): Promise<string[]> {
    let jobs;
    try {
      jobs = await this.api.batch.listNamespacedJob({ namespace: this.api.namespace, labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY}` });
    } catch (error) {
      throw kubernetesFailure(error, "list Moneypenny's Jobs");
    }
    const deleted: string[] = [];
    for (const job of jobs.items) {
      const name = job.metadata?.name;
      const outcome = jobOutcome(job);
      if (name === undefined || outcome === undefined || job.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY) continue;
      const finishedAt = job.status?.conditions?.find((c) => c.type === outcome)?.lastTransitionTime ?? job.status?.completionTime;
      if (finishedAt === undefined || now - new Date(finishedAt).getTime() < this.maxAgeMs) continue;
      try {
        await this.api.batch.deleteNamespacedJob({ name, namespace: this.api.namespace, propagationPolicy: "Background" });
        deleted.push(name);
      } catch (error) {
        this.log.warn({ err: error, job: name }, "could not delete an orphaned Job");
      }
    }
    if (deleted.length > 0) this.log.info({ jobs: deleted }, "deleted orphaned Jobs");
    return deleted;
  }
}
