import type { Queue } from "bullmq";
import type { Middleware } from "koa";
import { collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { RequestState } from "../http/requestContext.js";

const JOB_STATES = ["waiting", "active", "delayed", "completed", "failed", "prioritized"] as const;

/** What the API measures, in its own registry (served at /metrics). */
export class ApiMetrics {
  readonly registry = new Registry();
  readonly requestDuration = new Histogram({
    name: "moneypenny_http_request_duration_seconds",
    help: "HTTP requests, by method, route template and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 300],
    registers: [this.registry],
  });

  constructor(queue: Queue) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "moneypenny_queue_jobs",
      help: "Jobs in the order queue, by state (read from Redis at each scrape)",
      labelNames: ["state"] as const,
      registers: [this.registry],
      async collect() {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ state }, counts[state] ?? 0);
      },
    });
  }

  /** Times every request; the route is the template (never the raw path, which would be unbounded). */
  middleware(): Middleware<RequestState> {
    return async (ctx, next) => {
      const end = this.requestDuration.startTimer({ method: ctx.method });
      try {
        await next();
      } finally {
        const route = ctx.state.audit?.route ?? (ctx as { _matchedRoute?: string })._matchedRoute ?? "unmatched";
        end({ route: String(route), status: String(ctx.status) });
      }
    };
  }
}
