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

/**
 * Dashboard actions that would put data on the queue without the API's
 * validation and audit (adding a job, editing a job's data) are refused;
 * orders are made through the API.
 */
export function isRefusedDashboardAction(method: string, path: string): boolean {
  return (method === "POST" && /\/api\/queues\/[^/]+\/add$/.test(path)) || (method === "PATCH" && /\/update-data$/.test(path));
}
