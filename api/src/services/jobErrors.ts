/** No job with that id (never, or removed after its retention). */
export class UnknownJobError extends Error {
  constructor(readonly jobId: string) {
    super(`Unknown job ${jobId}`);
    this.name = "UnknownJobError";
  }
}

/** Only failed jobs can be retried. */
export class JobNotFailedError extends Error {
  constructor(
    readonly jobId: string,
    readonly state: string,
  ) {
    super(`job ${jobId} is ${state}, not failed; only failed jobs can be retried`);
    this.name = "JobNotFailedError";
  }
}
