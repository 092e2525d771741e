#!/usr/bin/env node
/**
 * `moneypenny`: the command line for operators. It talks to the API
 * (MONEYPENNY_URL, MONEYPENNY_TOKEN), prints tables (or JSON with --json), and
 * exits non-zero with the API's own error message when a call fails.
 */
import { Command, Option } from "commander";
import { mintDevelopmentToken } from "../auth/developmentToken.js";
import { ApiCallError, ApiClient, type UserStatus } from "./apiClient.js";
import { record, table } from "./table.js";

const program = new Command("moneypenny")
  .description("Operate Moneypenny: users' orders and the order queue")
  .option("--json", "print JSON instead of tables")
  .option("--url <url>", "the API (default $MONEYPENNY_URL or http://127.0.0.1:8080)")
  .showHelpAfterError();

function client(): ApiClient {
  const { url } = program.opts<{ url?: string }>();
  return new ApiClient(url ?? process.env["MONEYPENNY_URL"] ?? "http://127.0.0.1:8080", process.env["MONEYPENNY_TOKEN"]);
}

function print(value: unknown, human: () => string): void {
  process.stdout.write(`${program.opts<{ json?: boolean }>().json ? JSON.stringify(value, null, 2) : human()}\n`);
}

function showUser(status: UserStatus | undefined, username: string): void {
  if (status === undefined) print({ username, status: "forgotten" }, () => `${username}: retired and forgotten`);
  else print(status, () => record(status));
}

/** Waits for the user's order, with a spinner on a terminal and plain lines elsewhere. */
async function waitFor(username: string): Promise<UserStatus | undefined> {
  const tty = process.stderr.isTTY;
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let frame = 0;
  let last = "";
  const spinner = tty ? setInterval(() => process.stderr.write(`\r${frames[frame++ % frames.length]} ${last}`), 100) : undefined;
  try {
    return await client().waitUntilSettled(username, (status) => {
      last = `${username}: ${status.status}`;
      if (!tty) process.stderr.write(`${last}\n`);
    });
  } finally {
    clearInterval(spinner);
    if (tty) process.stderr.write("\r\x1b[K");
  }
}

const users = program.command("users").description("users and their orders");
users
  .command("show <name>")
  .description("a user's status")
  .action(async (name: string) => showUser(await client().user(name), name));
users
  .command("commission")
  .description("commission a user (create the home directory)")
  .requiredOption("--username <name>")
  .requiredOption("--uid <uid>", "user id", (v) => Number(v))
  .option("--gid <gid>", "primary group id (default: the uid)", (v) => Number(v))
  .option("--group <name:id...>", "a group, as name:id (repeatable)")
  .option("--wait", "wait until the order settles")
  .action(async (options: { username: string; uid: number; gid?: number; group?: string[]; wait?: boolean }) => {
    const groups = (options.group ?? []).map((g) => {
      const [name, id] = g.split(":");
      if (!name || !id || Number.isNaN(Number(id))) throw new ApiCallError(`--group ${g}: expected name:id`, 0);
      return { name, id: Number(id) };
    });
    const dossier = { username: options.username, uid: options.uid, ...(options.gid === undefined ? {} : { gid: options.gid }), groups };
    let status: UserStatus | undefined = await client().commission(dossier);
    if (options.wait) status = await waitFor(options.username);
    showUser(status, options.username);
    if (options.wait && status?.status !== "active") process.exitCode = 1;
  });
users
  .command("retire <name>")
  .description("retire a user (archive the home directory)")
  .option("--wait", "wait until the order settles")
  .action(async (name: string, options: { wait?: boolean }) => {
    let status = await client().retire(name);
    if (options.wait) status = await waitFor(name);
    showUser(status, name);
    if (options.wait && status !== undefined) process.exitCode = 1;
  });

const jobs = program.command("jobs").description("the order queue");
jobs
  .command("list")
  .option("--state <state>", "failed, active, waiting, delayed or completed", "failed")
  .addOption(new Option("--order <order>").choices(["commission", "retire"]))
  .option("--limit <n>", "at most this many", "50")
  .action(async (options: { state: string; order?: string; limit: string }) => {
    const page = await client().jobs({ state: options.state, order: options.order, limit: options.limit });
    print(page, () => table(page.jobs, ["id", "order", "username", "state", "attempts", "finished_at", "failed_reason"]));
  });
jobs
  .command("show <id>")
  .action(async (id: string) => {
    const job = await client().job(id);
    print(job, () => record(job));
  });
jobs
  .command("retry [id]")
  .description("retry a failed job, or with --all-failed every failed job")
  .option("--all-failed", "retry every failed job")
  .addOption(new Option("--order <order>").choices(["commission", "retire"]))
  .option("--older-than <iso-date-time>", "only jobs that failed before this time")
  .action(async (id: string | undefined, options: { allFailed?: boolean; order?: string; olderThan?: string }) => {
    if (id === undefined && !options.allFailed) throw new ApiCallError("name a job id, or use --all-failed", 0);
    const result = options.allFailed ? await client().retryFailed(options.order, options.olderThan) : await client().retryJob(id!);
    print(result, () => `retried ${result.retried} job${result.retried === 1 ? "" : "s"}`);
  });

program
  .command("token")
  .description("development tokens")
  .command("mint")
  .description("mint a token signed with $MONEYPENNY_AUTH_SECRET (development only)")
  .option("--scope <scopes>", "space-separated scopes", "admin:provision")
  .option("--subject <sub>", "the token's subject", "moneypenny-cli")
  .option("--expires <duration>", "lifetime, e.g. 1h, 30d", "1h")
  .action(async (options: { scope: string; subject: string; expires: string }) => {
    const secret = process.env["MONEYPENNY_AUTH_SECRET"];
    if (!secret) throw new ApiCallError("token mint signs with MONEYPENNY_AUTH_SECRET, which is not set (it is for development only)", 0);
    const token = await mintDevelopmentToken({ secret, scope: options.scope, subject: options.subject, expiresIn: options.expires });
    print({ token }, () => token);
  });

try {
  await program.parseAsync();
} catch (error) {
  process.stderr.write(`moneypenny: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
