import type { V1Job } from "@kubernetes/client-node";
import type { Logger } from "@moneypenny/shared";
import type { KubernetesApi } from "./kubernetesApi.js";
import { KubernetesFailure, kubernetesFailure, statusOf } from "./kubernetesFailure.js";

/** `undefined` stands for a Job that does not exist (any more). */
export type JobPredicate = (job: V1Job | undefined) => boolean;

export interface FollowOptions {
  signal: AbortSignal;
  /** A plain read this often, in case a watch event was missed. */
  resyncMs: number;
  log: Logger;
}

/** Reads a Job; undefined when there is none. */
export async function readJob(api: KubernetesApi, name: string): Promise<V1Job | undefined> {
  try {
    return await api.batch.readNamespacedJob({ name, namespace: api.namespace });
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw kubernetesFailure(error, `read Job ${name}`);
  }
}

/**
 * Resolves with the Job once `done(job)` holds. Watches the one Job (a field
 * selector) from the last resourceVersion seen; API servers close watches
 * after a while and clients time out, so when a stream ends the Job is read
 * again and watched anew from there. A periodic read is the safety net. A
 * permanent API error (RBAC) rejects; transient ones are logged and outlived.
 */
export function followJob(api: KubernetesApi, name: string, done: JobPredicate, options: FollowOptions): Promise<V1Job | undefined> {
  const { signal, resyncMs, log } = options;
  if (signal.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
  return new Promise((resolve, reject) => {
    let settled = false;
    let resourceVersion: string | undefined;
    let watch: AbortController | undefined;
    let retryTimer: NodeJS.Timeout | undefined;

    const finish = (outcome: { job: V1Job | undefined } | { error: unknown }) => {
      if (settled) return;
      settled = true;
      clearInterval(resync);
      clearTimeout(retryTimer);
      watch?.abort();
      signal.removeEventListener("abort", onAbort);
      if ("error" in outcome) reject(outcome.error);
      else resolve(outcome.job);
    };
    const consider = (job: V1Job | undefined) => {
      if (job?.metadata?.resourceVersion !== undefined) resourceVersion = job.metadata.resourceVersion;
      if (done(job)) finish({ job });
    };
    const check = async (): Promise<boolean> => {
      try {
        consider(await readJob(api, name));
        return true;
      } catch (error) {
        if (error instanceof Error && "permanent" in error && error.permanent === true) finish({ error });
        else log.warn({ err: error, job: name }, "reading the Job failed; will try again");
        return false;
      }
    };
    const startWatch = async () => {
      if (settled) return;
      let events = 0;
      const started = await api.watch.watch(
        `/apis/batch/v1/namespaces/${api.namespace}/jobs`,
        { fieldSelector: `metadata.name=${name}`, resourceVersion, allowWatchBookmarks: true, timeoutSeconds: 240 },
        (type: string, object: V1Job) => {
          events++;
          if (type === "ERROR") return; // e.g. 410 Gone: the stream ends next, and the re-read starts afresh
          if (type === "BOOKMARK") {
            resourceVersion = object.metadata?.resourceVersion ?? resourceVersion;
            return;
          }
          // A Job deleted after it finished (ttlSecondsAfterFinished) still tells how it ended.
          consider(type === "DELETED" && jobOutcome(object) === undefined ? undefined : object);
        },
        (error: unknown) => {
          if (settled) return;
          const status = (error as { statusCode?: unknown } | null)?.statusCode;
          if (status === 401 || status === 403) {
            finish({ error: new KubernetesFailure(`watch Job ${name}: Kubernetes answered ${status} (check the worker's service account and its Role)`, true, status) });
            return;
          }
          if (error) log.debug({ err: error, job: name }, "Job watch ended");
          // A stream that ended before any event (API down, or a server closing at once) is
          // retried after a pause, not in a tight loop; the re-read comes first either way.
          const pause = events === 0 ? Math.min(1000, resyncMs) : 0;
          retryTimer = setTimeout(() => void check().then(startWatch).catch((e: unknown) => finish({ error: e })), pause);
        },
      );
      // Finished while the stream was being opened: close it now, not at its time-out.
      if (settled) started.abort();
      else watch = started;
    };
    const onAbort = () => finish({ error: signal.reason ?? new Error("aborted") });
    signal.addEventListener("abort", onAbort);
    const resync = setInterval(() => void check(), resyncMs);
    // Read first: the Job may have finished already (an adopted one), and the
    // read gives the resourceVersion the watch starts from.
    void check()
      .then(startWatch)
      .catch((error: unknown) => finish({ error }));
  });
}

export type JobOutcome = "Complete" | "Failed" | undefined;

/** `Complete` or `Failed` once the Job has finished, else undefined. */
export function jobOutcome(job: V1Job | undefined): JobOutcome {
  for (const condition of job?.status?.conditions ?? []) {
    if (condition.status === "True" && (condition.type === "Complete" || condition.type === "Failed")) return condition.type;
  }
  return undefined;
}

export function jobCondition(job: V1Job, type: string): { reason?: string; message?: string } | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === "True");
}
