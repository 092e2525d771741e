import type { Queue } from "bullmq";
import {
  orderJobOptions,
  type Dossier,
  type OrderDecision,
  type OrderJobData,
  type OrderJobReturn,
  type OrderName,
  type QueueSettings,
  type UserRecord,
  type UserRecordStore,
} from "@moneypenny/shared";
import { OrderConflictError, UnknownUserError } from "./orderErrors.js";

/**
 * Accepts orders: decides, atomically in the user record store, whether a
 * request starts a new order, joins the one in progress, or conflicts; then
 * puts the order on the queue. The record is written before the job, so a
 * client that polls at once never sees 404.
 */
export class OrderService {
  constructor(
    private readonly store: UserRecordStore,
    private readonly queue: Queue<OrderJobData, OrderJobReturn>,
    private readonly settings: QueueSettings,
  ) {}

  async status(username: string): Promise<UserRecord> {
    const record = await this.store.get(username);
    if (record === undefined) throw new UnknownUserError(username);
    return record;
  }

  async commission(dossier: Dossier, requestId: string): Promise<void> {
    let decision = await this.store.beginCommission(dossier);
    if (decision.kind === "in-progress" && (await this.#settleFinishedJob(dossier.username, decision.jobId))) {
      decision = await this.store.beginCommission(dossier);
    }
    if (decision.kind === "conflict") {
      throw new OrderConflictError(
        dossier.username,
        decision.status,
        decision.jobId,
        decision.status === "retiring" ? "a retire is in progress" : "a commission with a different dossier is in progress",
      );
    }
    await this.#enqueue("commission", decision, requestId);
  }

  async retire(username: string, requestId: string): Promise<void> {
    let decision = await this.store.beginRetire(username);
    if (decision.kind === "in-progress" && (await this.#settleFinishedJob(username, decision.jobId))) {
      decision = await this.store.beginRetire(username);
    }
    if (decision.kind === "unknown") throw new UnknownUserError(username);
    if (decision.kind === "conflict") throw new OrderConflictError(username, decision.status, decision.jobId, "a commission is in progress");
    await this.#enqueue("retire", decision, requestId);
  }

  /**
   * The record says an order is in progress, but its job may have finished
   * without the record hearing of it (a worker that died between the two, a
   * job failed by BullMQ's stalled-job limit). Then the job's own outcome is
   * recorded now, so the user is not stuck; answers whether it did so.
   */
  async #settleFinishedJob(username: string, jobId: string): Promise<boolean> {
    const job = await this.queue.getJob(jobId);
    if (job === undefined) return false;
    const state = await job.getState();
    if (state === "failed") {
      await this.store.recordFailure(username, jobId, job.failedReason || "the order's job failed", true);
      return true;
    }
    if (state === "completed" && job.returnvalue?.outcome === "done") {
      await this.store.recordSuccess(username, jobId, job.returnvalue.result);
      return true;
    }
    return false;
  }

  // Both a new order and one already in progress are (re-)added: the job id is
  // the order's own, so BullMQ adds it once and ignores the repeats, and an
  // order whose enqueue was lost (the API died between the two writes) is
  // healed by the client's next identical request.
  async #enqueue(order: OrderName, decision: OrderDecision, requestId: string): Promise<void> {
    if (decision.kind !== "created" && decision.kind !== "in-progress") return;
    await this.queue.add(order, { order, dossier: decision.dossier, requestId }, orderJobOptions(decision.jobId, this.settings));
  }
}
