import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { mintDevelopmentToken, startApiServer, type ApiServer } from "@moneypenny/api";
import { createExecutor, OrderWorker, WorkerMetrics } from "@moneypenny/worker";
import { createLogger, loadApiConfig, loadWorkerConfig, QUEUE_NAME, UserRecordStore, type Env } from "@moneypenny/shared";
import { ObservedExecutor } from "./executors.js";
import type { RedisServer } from "./redisServer.js";

export const TEST_SECRET = "test-secret-0123456789abcdef0123456789abcdef";
export const SCOPE = "admin:provision";

export interface DeploymentOptions {
  /** Extra environment for both processes. */
  env?: Env;
  /** Start an in-process worker (default true). */
  worker?: boolean;
  /** Keep the API's log lines (at info level) in `apiLogs`. */
  captureApiLogs?: boolean;
}

/**
 * One Moneypenny for a test: the real API (in-process, on a free port) and,
 * unless told otherwise, the real worker, against a private Redis, under a
 * queue prefix of its own, with homes in a fresh temporary directory.
 */
export class Deployment {
  api!: ApiServer;
  worker: OrderWorker | undefined;
  /** The worker's executor, observed: runs are counted and can be held or failed. */
  executor: ObservedExecutor | undefined;
  token!: string;
  readonly queue: Queue;
  readonly redis: Redis;
  readonly store: UserRecordStore;
  /** The API's log lines, parsed, when `captureApiLogs` was set. */
  readonly apiLogs: Record<string, unknown>[] = [];
  #captureApiLogs = false;

  private constructor(
    readonly redisServer: RedisServer,
    readonly env: Env,
    readonly dir: string,
  ) {
    const prefix = env["MONEYPENNY_QUEUE_PREFIX"] ?? "";
    this.redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
    // Tests stop Redis on purpose; the reconnection errors are expected.
    this.redis.on("error", () => {});
    this.queue = new Queue(QUEUE_NAME, { connection: this.redis, prefix });
    this.queue.on("error", () => {});
    this.store = new UserRecordStore(this.redis, prefix);
  }

  get homeRoot(): string {
    return path.join(this.dir, "homes");
  }

  get archiveRoot(): string {
    return path.join(this.dir, "archive");
  }

  static async start(redisServer: RedisServer, options: DeploymentOptions = {}): Promise<Deployment> {
    const dir = await mkdtemp(path.join(tmpdir(), "moneypenny-test-"));
    await mkdir(path.join(dir, "homes"));
    await mkdir(path.join(dir, "archive"));
    const env: Env = {
      REDIS_URL: redisServer.url,
      MONEYPENNY_QUEUE_PREFIX: `{mp-${randomBytes(4).toString("hex")}}`,
      MONEYPENNY_PORT: "0",
      MONEYPENNY_HOST: "127.0.0.1",
      MONEYPENNY_AUTH_SECRET: TEST_SECRET,
      MONEYPENNY_HOME_ROOT: path.join(dir, "homes"),
      MONEYPENNY_ARCHIVE_ROOT: path.join(dir, "archive"),
      MONEYPENNY_JOB_BACKOFF_MS: "10",
      MONEYPENNY_WORKER_METRICS_PORT: "0",
      LOG_LEVEL: process.env["TEST_LOG_LEVEL"] ?? "silent",
      ...options.env,
    };
    const deployment = new Deployment(redisServer, env, dir);
    deployment.#captureApiLogs = options.captureApiLogs ?? false;
    await deployment.startApi();
    deployment.token = await mintDevelopmentToken({ secret: TEST_SECRET, scope: SCOPE, expiresIn: "1h" });
    if (options.worker !== false) await deployment.startWorker();
    return deployment;
  }

  async startApi(): Promise<void> {
    const config = loadApiConfig(this.env);
    const logs = this.apiLogs;
    const log = this.#captureApiLogs
      ? createLogger("test-api", "info", { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) })
      : createLogger("test-api", config.logLevel);
    this.api = await startApiServer(config, log);
  }

  async startWorker(): Promise<ObservedExecutor> {
    const config = loadWorkerConfig(this.env);
    const log = createLogger("test-worker", config.logLevel);
    const metrics = new WorkerMetrics();
    const executor = new ObservedExecutor(await createExecutor(config, log, metrics));
    this.worker = await OrderWorker.start(config, executor, log, metrics);
    this.executor = executor;
    return executor;
  }

  async stopWorker(): Promise<void> {
    await this.worker?.close(5000);
    this.worker = undefined;
  }

  /** The user's status as the API answers it. */
  async status(username: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await this.request("GET", `/moneypenny/users/${username}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** Long-polls until the user's order settles; answers the status code of the wait. */
  async wait(username: string, timeoutSeconds?: number): Promise<number> {
    const query = timeoutSeconds === undefined ? "" : `?timeout=${timeoutSeconds}`;
    return (await this.request("GET", `/moneypenny/users/${username}/wait${query}`)).status;
  }

  /** Every job of the queue, whatever its state. */
  async jobs(): Promise<{ id: string | undefined; name: string }[]> {
    const jobs = await this.queue.getJobs(["waiting", "active", "delayed", "completed", "failed", "prioritized"]);
    return jobs.map((job) => ({ id: job.id, name: job.name }));
  }

  /** A request to the API with the test token (unless `token` says otherwise); redirects are not followed. */
  async request(method: string, urlPath: string, options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token === undefined ? this.token : options.token;
    if (token !== null) headers["authorization"] = `Bearer ${token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
      headers["content-type"] ??= "application/json";
    }
    return fetch(`${this.api.url}${urlPath}`, { method, headers, body, redirect: "manual" });
  }

  /** A QueueEvents listener on this deployment's queue, ready before it is returned. */
  async queueEvents(): Promise<QueueEvents> {
    const events = new QueueEvents(QUEUE_NAME, { connection: { host: "127.0.0.1", port: this.redisServer.port, maxRetriesPerRequest: null }, prefix: this.env["MONEYPENNY_QUEUE_PREFIX"] ?? "" });
    await events.waitUntilReady();
    return events;
  }

  async stop(): Promise<void> {
    await this.stopWorker();
    await this.api.close();
    await this.queue.close();
    this.redis.disconnect();
    await rm(this.dir, { recursive: true, force: true });
  }
}
