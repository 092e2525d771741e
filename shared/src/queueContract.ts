import type { JobsOptions } from "bullmq";
import type { QueueSettings } from "./config.js";
import type { Dossier } from "./dossier.js";

/**
 * The contract between the API (producer) and the worker (consumer): one queue,
 * two job names, the data a job carries and the result it returns.
 */
export const QUEUE_NAME = "orders";

export const ORDERS = ["commission", "retire"] as const;
export type OrderName = (typeof ORDERS)[number];

export interface OrderJobData {
  order: OrderName;
  dossier: Dossier;
  /** The HTTP request that asked for the order, so its logs can be followed into the worker. */
  requestId?: string;
}

/** What the provisioner reports for one dossier that succeeded. */
export interface OrderResult {
  username: string;
  /** A short word for what happened, e.g. `created`, `already-existed`, `archived`. */
  action: string;
  /** A sentence for people: the spawner, the dashboard, an operator. */
  message: string;
  /** The home or archive path acted on. */
  path?: string;
  warnings: string[];
}

/** What a job returns: the result, or why it did nothing. */
export type OrderJobReturn = { outcome: "done"; result: OrderResult } | { outcome: "superseded"; message: string };

/**
 * Job ids are derived, never random: `<order>-<username>-<sequence>`, where the
 * sequence comes from the user record store when the order is created. So the
 * API can re-add an order it may have lost (BullMQ ignores a duplicate id) and
 * a job can tell whether it is still the user's current order.
 * BullMQ forbids ':' and all-digit ids; usernames never contain ':'.
 * With an empty sequence it gives the prefix the store appends the sequence to.
 */
export function orderJobId(order: OrderName, username: string, sequence: number | ""): string {
  return `${order}-${username}-${sequence}`;
}

export function orderJobOptions(jobId: string, settings: QueueSettings): JobsOptions {
  return {
    jobId,
    attempts: settings.attempts,
    backoff: { type: "exponential", delay: settings.backoffMs },
    removeOnComplete: settings.keepCompleted,
    removeOnFail: settings.keepFailed,
  };
}
