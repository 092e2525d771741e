import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import { connectRedis, QUEUE_NAME, UserRecordStore, type Logger, type OrderJobData, type OrderJobReturn, type WorkerConfig } from "@moneypenny/shared";
import type { Executor } from "./executors/executor.js";
import { OrderProcessor } from "./orderProcessor.js";
import type { WorkerMetrics } from "./workerMetrics.js";

/** BullMQ's reason for failing a job that lost its worker more than maxStalledCount times. */
const STALLED_LIMIT_MESSAGE = "job stalled more than allowable limit";

/**
 * The BullMQ worker that consumes the order queue, and its orderly shutdown:
 * stop taking jobs, let the active ones finish within a grace period, then
 * leave any that remain to stalled-job recovery (another worker redoes them;
 * every order is idempotent).
 */
export class OrderWorker {
  private constructor(
    readonly worker: Worker<OrderJobData, OrderJobReturn>,
    private readonly executor: Executor,
    /** The worker's own connection: records, and the readiness probe. */
    readonly redis: Redis,
    private readonly log: Logger,
  ) {}

  static async start(config: WorkerConfig, executor: Executor, log: Logger, metrics: WorkerMetrics): Promise<OrderWorker> {
    const redis = connectRedis(config.redisUrl, "queue", "moneypenny-worker", log);
    const store = new UserRecordStore(redis, config.queue.prefix);
    const processor = new OrderProcessor(store, executor, log, config.identity, metrics);
    const worker = new Worker<OrderJobData, OrderJobReturn>(QUEUE_NAME, (job, _token, signal) => processor.process(job, signal), {
      connection: redis,
      prefix: config.queue.prefix,
      concurrency: config.concurrency,
      lockDuration: config.lockMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
    });
    worker.on("error", (error) => log.error({ err: error }, "worker error"));
    worker.on("stalled", (jobId) => {
      metrics.stalledJobs.inc();
      log.warn({ jobId }, "a job's worker stopped; the job is taken up again");
    });
    // A job that stalled too often fails without the processor seeing it; the
    // user record must still say so.
    worker.on("failed", (job, error) => {
      if (job === undefined || job.id === undefined || job.finishedOn === undefined) return;
      if (error.message !== STALLED_LIMIT_MESSAGE) return;
      const message = `the worker running this order stopped too often (${error.message}); retry the job once the workers are healthy`;
      store.recordFailure(job.data.dossier.username, job.id, message, true).catch((e: unknown) => log.error({ err: e }, "could not record a stalled job"));
    });
    await worker.waitUntilReady();
    log.info({ executor: executor.kind, concurrency: config.concurrency }, "worker ready");
    return new OrderWorker(worker, executor, redis, log);
  }

  /**
   * Stops taking jobs; waits up to `graceMs` for active ones. Past the
   * deadline their abort signals fire and they are left as they are: their
   * locks lapse and another worker redoes them (BullMQ's close cannot be
   * hurried once it has begun, so it is not awaited then).
   */
  async close(graceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"deadline">((resolve) => {
      timer = setTimeout(() => resolve("deadline"), graceMs);
    });
    const outcome = await Promise.race([this.worker.close(), deadline]);
    clearTimeout(timer);
    if (outcome === "deadline") {
      this.log.warn({ graceMs }, "active orders did not finish in time; leaving them to another worker");
      this.worker.cancelAllJobs("worker shutting down");
    }
    await this.executor.close();
    await this.redis.quit().catch(() => undefined);
  }
}
