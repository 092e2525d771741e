import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { KoaAdapter } from "@bull-board/koa";
import type { Queue } from "bullmq";
import type { Middleware } from "koa";

export const DASHBOARD_PATH = "/moneypenny/admin/queues";

/**
 * The Bull dashboard (bull-board) on the order queue. It has no
 * authentication of its own: `operatorGuard` runs before it, always.
 */
export function dashboard(queue: Queue): Middleware {
  const serverAdapter = new KoaAdapter();
  serverAdapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter, options: { uiConfig: { boardTitle: "Moneypenny orders" } } });
  return serverAdapter.registerPlugin() as Middleware;
}

// The dashboard's writes that operators need: retry and promote jobs, clean
// finished ones, pause and resume. Everything else that writes (adding jobs,
// editing their data, delay or priority, emptying or obliterating the queue,
// rate limits) is refused: orders are made through the API, which validates
// and audits them.
const ALLOWED_WRITES = [
  /^\/api\/queues\/[^/]+\/[^/]+\/(retry|promote)$/,
  /^\/api\/queues\/[^/]+\/retry\/[^/]+$/,
  /^\/api\/queues\/[^/]+\/clean\/[^/]+$/,
  /^\/api\/queues\/([^/]+\/)?(pause|resume)$/,
];

/** Whether the dashboard may do this; `path` is the full request path. */
export function isAllowedDashboardAction(method: string, path: string): boolean {
  if (method === "GET" || method === "HEAD") return true;
  // bull-board's router ignores case: so must this check.
  const relative = path.slice(DASHBOARD_PATH.length).toLowerCase();
  return method === "PUT" && ALLOWED_WRITES.some((pattern) => pattern.test(relative));
}
