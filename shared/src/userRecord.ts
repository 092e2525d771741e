import type { Dossier } from "./dossier.js";
import type { OrderName, OrderResult } from "./queueContract.js";

/** The statuses a spawner sees; the names are the old Moneypenny's, exactly. */
export const USER_STATUSES = ["commissioning", "active", "failed", "retiring"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/**
 * The durable result of a user's orders, kept in Redis. The API writes it when
 * an order is created; the worker on every attempt and when the order settles.
 */
export interface UserRecord {
  username: string;
  status: UserStatus;
  /** ISO 8601, UTC. */
  lastChanged: string;
  dossier: Dossier;
  /** The queue job of the current (or last) order. */
  jobId: string;
  order: OrderName;
  /** Attempts started for the current order. */
  attempts: number;
  /** Why the order failed (or why the last attempt failed while it is retried). */
  error?: string;
  /** What the last successful commission did. */
  result?: OrderResult;
}

/** An order is settled once nothing will change the record without a new request. */
export function isInProgress(status: UserStatus): boolean {
  return status === "commissioning" || status === "retiring";
}

/**
 * What the store publishes on every status change. `forgotten` means a retire
 * finished and the record is gone.
 */
export interface UserEvent {
  username: string;
  status: UserStatus | "forgotten";
}
