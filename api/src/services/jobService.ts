import type { Job, JobType, Queue } from "bullmq";
import { ORDERS, type OrderJobData, type OrderJobReturn, type OrderName } from "@moneypenny/shared";
import { JobNotFailedError, UnknownJobError } from "./jobErrors.js";

export const JOB_STATES = ["failed", "active", "waiting", "delayed", "completed"] as const;
export type JobState = (typeof JOB_STATES)[number];
export { ORDERS };

type OrderJob = Job<OrderJobData, OrderJobReturn>;

export interface JobSummary {
  id: string;
  order: string;
  username: string;
  state: string;
  attempts: number;
  failed_reason?: string;
  created_at: string;
  processed_at?: string;
  finished_at?: string;
}

export interface JobDetail extends JobSummary {
  dossier: OrderJobData["dossier"];
  request_id?: string;
  stacktrace: string[];
  logs: string[];
  result?: OrderJobReturn;
}

/** Reads and retries the queue's jobs for operators; the user records follow each retry through the worker. */
export class JobService {
  constructor(private readonly queue: Queue<OrderJobData, OrderJobReturn>) {}

  /** A page of jobs in one state, newest first; `cursor` is where the next page starts. */
  async list(state: JobState, order: OrderName | undefined, limit: number, cursor: number): Promise<{ jobs: JobSummary[]; next_cursor?: string }> {
    const jobs: JobSummary[] = [];
    let position = cursor;
    const total = await this.queue.getJobCountByTypes(state as JobType);
    while (jobs.length < limit && position < total) {
      const page = await this.queue.getJobs([state as JobType], position, position + limit - 1, false);
      if (page.length === 0) break;
      for (const job of page) {
        position++;
        if (order === undefined || job.name === order) jobs.push(await summary(job, state));
        if (jobs.length === limit) break;
      }
    }
    return position < total ? { jobs, next_cursor: String(position) } : { jobs };
  }

  async get(id: string): Promise<JobDetail> {
    const job = await this.#job(id);
    const state = await job.getState();
    const { logs } = await this.queue.getJobLogs(id, 0, -1, true);
    return {
      ...(await summary(job, state)),
      dossier: job.data.dossier,
      ...(job.data.requestId === undefined ? {} : { request_id: job.data.requestId }),
      stacktrace: job.stacktrace ?? [],
      logs,
      ...(job.returnvalue === null || job.returnvalue === undefined ? {} : { result: job.returnvalue }),
    };
  }

  async retry(id: string): Promise<void> {
    const job = await this.#job(id);
    if (!(await retryIfFailed(job))) throw new JobNotFailedError(id, await job.getState());
  }

  /** Retries every failed job (of one order, failed before a time, when given); answers how many. */
  async retryFailed(order: OrderName | undefined, olderThan: Date | undefined): Promise<number> {
    let retried = 0;
    // Page by page, so that a long failed list is never all in memory; each
    // retried job leaves the failed list, so the next page starts where this one ended, less those.
    let start = 0;
    for (;;) {
      const page = await this.queue.getJobs(["failed"], start, start + RETRY_PAGE - 1, true);
      if (page.length === 0) return retried;
      let kept = 0;
      for (const job of page) {
        const wanted = (order === undefined || job.name === order) && (olderThan === undefined || (job.finishedOn ?? 0) < olderThan.getTime());
        if (wanted && (await retryIfFailed(job))) retried++;
        else kept++;
      }
      start += kept;
    }
  }

  async #job(id: string): Promise<OrderJob> {
    const job = await this.queue.getJob(id);
    if (job === undefined) throw new UnknownJobError(id);
    return job;
  }
}

const RETRY_PAGE = 100;

/**
 * Retries a failed job with fresh attempt counters (a retried order gets all
 * its attempts again); false when it is no longer failed (someone else, or the
 * dashboard, retried it first).
 */
async function retryIfFailed(job: OrderJob): Promise<boolean> {
  try {
    await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
    return true;
  } catch (error) {
    if ((await job.getState()) !== "failed") return false;
    throw error;
  }
}

async function summary(job: OrderJob, state: string): Promise<JobSummary> {
  const iso = (ms: number | undefined) => (ms === undefined || ms === 0 ? undefined : new Date(ms).toISOString());
  const processed = iso(job.processedOn);
  const finished = iso(job.finishedOn);
  return {
    id: job.id ?? "",
    order: job.name,
    username: job.data.dossier?.username ?? "",
    state,
    attempts: job.attemptsMade,
    ...(job.failedReason ? { failed_reason: job.failedReason } : {}),
    created_at: new Date(job.timestamp).toISOString(),
    ...(processed === undefined ? {} : { processed_at: processed }),
    ...(finished === undefined ? {} : { finished_at: finished }),
  };
}
