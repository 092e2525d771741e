import type { UserStatus } from "@moneypenny/shared";

/** The user has no record: never commissioned, or retired. */
export class UnknownUserError extends Error {
  constructor(readonly username: string) {
    super(`Unknown user ${username}`);
    this.name = "UnknownUserError";
  }
}

/** Another order for the user is in progress, so this one cannot start now. */
export class OrderConflictError extends Error {
  constructor(
    readonly username: string,
    readonly status: UserStatus,
    readonly jobId: string,
    reason: string,
  ) {
    super(`${username} is ${status} (job ${jobId}): ${reason}; wait for it to settle (GET /moneypenny/users/${username}/wait), then try again`);
    this.name = "OrderConflictError";
  }
}
