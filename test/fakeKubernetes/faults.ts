import { failure, type Status } from "./status.js";

export interface FaultMatch {
  /** e.g. "POST"; any method when absent. */
  method?: string;
  /** Tested against the request path without its query; any path when absent. */
  path?: RegExp;
}

interface PendingFault {
  match: FaultMatch;
  status: number;
  reason: string | undefined;
  remaining: number;
}

/** What the real server says for the codes a test is likely to inject. */
const messages: Record<number, string> = {
  403: "forbidden (injected by FakeKubernetes.faults)",
  422: "invalid (injected by FakeKubernetes.faults)",
  429: "Too many requests, please try again later.",
  500: "Internal error occurred: injected by FakeKubernetes.faults",
  503: "the server is currently unable to handle the request",
};

/**
 * Misbehaviour a test switches on: failed requests, slowness, broken watch
 * streams and jobs that never end. Fields can be changed at any time; they
 * apply from the next request (or pod, or watch event) on.
 */
export class Faults {
  /** Delay before the server handles each request. */
  apiLatencyMs = 0;
  /** How long the kubelet takes before it starts a new pod (pulling images, mounting volumes). */
  startLatencyMs = 0;
  /** Each watch stream is ended by the server after sending this many events (the client's done callback fires). */
  closeWatchesAfterEvents: number | undefined = undefined;
  /** A Job for which this answers true never ends: its main container is reported running until the Job is deleted or its deadline passes. */
  neverFinish: ((jobName: string) => boolean) | undefined = undefined;

  readonly #pending: PendingFault[] = [];

  /** The next `times` requests that match get this status code and a Status body instead of their answer. */
  failNext(match: FaultMatch, status: number, times = 1, reason?: string): void {
    this.#pending.push({ match, status, reason, remaining: times });
  }

  /** Used by the server: the injected failure for this request, if any (consuming one use of it). */
  take(method: string, path: string): { status: Status; headers: Record<string, string> } | undefined {
    const fault = this.#pending.find(
      (f) => (f.match.method === undefined || f.match.method.toUpperCase() === method) && (f.match.path === undefined || f.match.path.test(path)),
    );
    if (!fault) return undefined;
    if (--fault.remaining <= 0) this.#pending.splice(this.#pending.indexOf(fault), 1);
    const status = failure(fault.status, messages[fault.status] ?? `injected by FakeKubernetes.faults`, fault.reason);
    // A 429 always tells the client when to come back, as the real priority-and-fairness filter does.
    if (fault.status === 429) {
      status.details = { retryAfterSeconds: 1 };
      return { status, headers: { "Retry-After": "1" } };
    }
    return { status, headers: {} };
  }
}
