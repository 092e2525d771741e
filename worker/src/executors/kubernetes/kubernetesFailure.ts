import { ApiException } from "@kubernetes/client-node";

/** A Kubernetes API call that failed, said in a way the user record can carry. */
export class KubernetesFailure extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly code: number | undefined,
  ) {
    super(message);
    this.name = "KubernetesFailure";
  }
}

/** The HTTP status of a failed call, when there was one. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiException ? error.code : undefined;
}

/**
 * 5xx, 429, time-outs and connection errors may pass: retried by the queue.
 * 401/403 (RBAC), 400/422 (an invalid spec) and the rest are permanent, and
 * the API server's own message goes into the user record.
 */
export function kubernetesFailure(error: unknown, doing: string): KubernetesFailure {
  if (error instanceof KubernetesFailure) return error;
  const code = statusOf(error);
  if (code === undefined) {
    return new KubernetesFailure(`${doing}: cannot reach the Kubernetes API: ${error instanceof Error ? error.message : String(error)}`, false, undefined);
  }
  const transient = code >= 500 || code === 429 || code === 408;
  const hint = code === 401 || code === 403 ? " (check the worker's service account and its Role)" : "";
  return new KubernetesFailure(`${doing}: Kubernetes answered ${code}: ${apiMessage(error)}${hint}`, !transient, code);
}

function apiMessage(error: unknown): string {
  if (!(error instanceof ApiException)) return String(error);
  const body: unknown = error.body;
  if (typeof body === "string") {
    try {
      const status = JSON.parse(body) as { message?: unknown };
      if (typeof status.message === "string") return status.message;
    } catch {
      // not JSON: use it as it is
    }
    return body.slice(0, 500);
  }
  return error.message;
}
