import { UnrecoverableError, type Job } from "bullmq";
import { dossierSchema, type IdentityRules, type Logger, type OrderJobData, type OrderJobReturn, type UserRecordStore } from "@moneypenny/shared";
import type { DossierOutcome, Executor } from "./executors/executor.js";
import type { WorkerMetrics } from "./workerMetrics.js";

export type OrderJob = Job<OrderJobData, OrderJobReturn>;

/**
 * Runs one queue job: marks the attempt in the user record, runs the order
 * through the executor, and records how it ended before BullMQ learns of it,
 * so the record is right even if this process dies the moment after.
 */
export class OrderProcessor {
  readonly #dossiers;

  constructor(
    private readonly store: UserRecordStore,
    private readonly executor: Executor,
    private readonly log: Logger,
    identity: IdentityRules,
    private readonly metrics: WorkerMetrics,
  ) {
    this.#dossiers = dossierSchema(identity);
  }

  async process(job: OrderJob, signal: AbortSignal = new AbortController().signal): Promise<OrderJobReturn> {
    const { order, dossier, requestId } = job.data;
    // The API validated it; a job put on the queue some other way is checked again before anything privileged runs.
    const checked = this.#dossiers.safeParse(dossier);
    if (!checked.success || !["commission", "retire"].includes(order)) {
      throw new UnrecoverableError(`job ${job.id} does not carry a valid order and dossier; refusing it: ${checked.error?.issues[0]?.message ?? `unknown order ${order}`}`);
    }
    const jobId = job.id ?? "";
    const log = this.log.child({ jobId, order, username: dossier.username, requestId, attempt: job.attemptsStarted });

    if (!(await this.store.recordAttempt(dossier.username, jobId, job.attemptsStarted))) {
      const message = `job ${jobId} is no longer ${dossier.username}'s current order; nothing done`;
      log.warn(message);
      return { outcome: "superseded", message };
    }

    log.info("order started");
    if (job.attemptsStarted > 1) this.metrics.retries.inc({ order });
    const timer = this.metrics.orderDuration.startTimer({ order });
    await job.log(`attempt ${job.attemptsStarted}: ${order} ${dossier.username} with the ${this.executor.kind} executor`);
    const outcome = await this.#execute(job, signal, log);
    timer({ outcome: outcome.ok ? "success" : "failure" });

    if (outcome.ok) {
      await this.store.recordSuccess(dossier.username, jobId, outcome.result);
      await this.#cleanUp(job, log);
      for (const warning of outcome.result.warnings) log.warn({ warning }, "order warning");
      log.info({ action: outcome.result.action }, outcome.result.message);
      await job.log(outcome.result.message);
      return { outcome: "done", result: outcome.result };
    }

    this.metrics.failures.inc({ order, reason: outcome.permanent ? "permanent" : "transient" });
    const allowed = job.opts.attempts ?? 1;
    const attempt = job.attemptsMade + 1;
    const final = outcome.permanent || attempt >= allowed;
    const message =
      outcome.permanent || allowed === 1
        ? outcome.message
        : final
          ? `${outcome.message} (gave up after ${allowed} attempts)`
          : `attempt ${attempt} of ${allowed} failed, will retry: ${outcome.message}`;
    await this.store.recordFailure(dossier.username, jobId, message, final);
    await this.#cleanUp(job, log);
    log.warn({ permanent: outcome.permanent, final }, message);
    await job.log(message);
    throw outcome.permanent ? new UnrecoverableError(outcome.message) : new Error(outcome.message);
  }

  // After recording, never before: until then a resumed attempt must find what this one left.
  async #cleanUp(job: OrderJob, log: Logger): Promise<void> {
    try {
      await this.executor.cleanUp?.(job.data.order, [job.data.dossier]);
    } catch (error) {
      log.warn({ err: error }, "could not clean up after the order; the orphan sweep will");
    }
  }

  async #execute(job: OrderJob, signal: AbortSignal, log: Logger): Promise<DossierOutcome> {
    const { order, dossier } = job.data;
    try {
      const [outcome] = await this.executor.run(order, [dossier], { signal, jobId: job.id ?? "", log });
      if (outcome === undefined) throw new Error(`the ${this.executor.kind} executor returned no outcome`);
      return outcome;
    } catch (error) {
      // The executor itself broke (not the order): worth another attempt.
      return { username: dossier.username, ok: false, permanent: false, message: error instanceof Error ? error.message : String(error) };
    }
  }
}
