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
    const { decision, enqueue } = await this.#decide(() => this.store.beginCommission(dossier), dossier.username);
    if (decision.kind === "conflict") {
      throw new OrderConflictError(
        dossier.username,
        decision.status,
        decision.jobId,
        decision.status === "retiring" ? "a retire is in progress" : "a commission with a different dossier is in progress",
      );
    }
    if (enqueue) await this.#enqueue("commission", decision, requestId);
  }

  async retire(username: string, requestId: string): Promise<void> {
    const { decision, enqueue } = await this.#decide(() => this.store.beginRetire(username), username);
    if (decision.kind === "unknown") throw new UnknownUserError(username);
    if (decision.kind === "conflict") throw new OrderConflictError(username, decision.status, decision.jobId, "a commission is in progress");
    if (enqueue) await this.#enqueue("retire", decision, requestId);
  }

  /**
   * Asks the store, and says whether the order must be put on the queue: a
   * new order must; one in progress only if its job is missing (the API died
   * between writing the record and enqueueing, and this identical request
   * heals it). One in progress whose job has finished without the record
   * hearing of it (a worker that died between the two, BullMQ's stalled-job
   * limit) has the job's own outcome recorded now, and is decided again.
   */
  async #decide(begin: () => Promise<OrderDecision>, username: string): Promise<{ decision: OrderDecision; enqueue: boolean }> {
    const decision = await begin();
    if (decision.kind !== "in-progress") return { decision, enqueue: decision.kind === "created" };
    const state = await this.queue.getJobState(decision.jobId);
    if (state === "unknown") return { decision, enqueue: true };
    if (!(await this.#settleFinishedJob(username, decision.jobId, state))) return { decision, enqueue: false };
    const again = await begin();
    return { decision: again, enqueue: again.kind === "created" };
  }

  /** Records the outcome of a finished job; answers whether there was one. */
  async #settleFinishedJob(username: string, jobId: string, state: string): Promise<boolean> {
    if (state !== "failed" && state !== "completed") return false;
    const job = await this.queue.getJob(jobId);
    if (job === undefined) return false;
    if (state === "failed") {
      await this.store.recordFailure(username, jobId, job.failedReason || "the order's job failed", true);
      return true;
    }
    if (job.returnvalue?.outcome !== "done") return false;
    await this.store.recordSuccess(username, jobId, job.returnvalue.result);
    return true;
  }

  // The job id is the order's own, so BullMQ would ignore a repeat anyway.
  async #enqueue(order: OrderName, decision: OrderDecision, requestId: string): Promise<void> {
    if (decision.kind !== "created" && decision.kind !== "in-progress") return;
    await this.queue.add(order, { order, dossier: decision.dossier, requestId }, orderJobOptions(decision.jobId, this.settings));
  }
}
