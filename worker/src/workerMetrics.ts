import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

/** What the worker measures, in its own registry (served on its probe port at /metrics). */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly orderDuration = new Histogram({
    name: "moneypenny_order_duration_seconds",
    help: "Time to run one attempt of an order, by order and outcome",
    labelNames: ["order", "outcome"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: "moneypenny_order_failures_total",
    help: "Failed order attempts, by order and reason class (permanent, transient)",
    labelNames: ["order", "reason"] as const,
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: "moneypenny_order_retries_total",
    help: "Order attempts after the first, by order",
    labelNames: ["order"] as const,
    registers: [this.registry],
  });
  readonly kubernetesErrors = new Counter({
    name: "moneypenny_kubernetes_api_errors_total",
    help: "Failed Kubernetes API calls, by HTTP status (none: no answer)",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  readonly stalledJobs = new Counter({
    name: "moneypenny_stalled_jobs_total",
    help: "Jobs found stalled (their worker stopped) and given to another",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
