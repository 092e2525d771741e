import path from "node:path";
import { z } from "zod";
import { DEFAULT_IDENTITY_RULES, DEFAULT_USERNAME_PATTERN, type IdentityRules } from "./dossier.js";

/**
 * Configuration comes from environment variables only, checked at start-up:
 * a process with a bad value stops with one message naming every bad variable.
 * The API and the worker each read the variables they need; the common ones
 * (Redis, queue, identity rules) are defined once here.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return fallback;
      const value = Number(raw);
      if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
        ctx.addIssue({ code: "custom", message: `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}` });
        return z.NEVER;
      }
      return value;
    });

const boolean = (fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined || raw === "") return fallback;
      const v = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(v)) return true;
      if (["0", "false", "no", "off"].includes(v)) return false;
      ctx.addIssue({ code: "custom", message: `must be true or false, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    });

const text = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((raw) => (raw === undefined || raw === "" ? fallback : raw));

const optionalText = z
  .string()
  .optional()
  .transform((raw) => (raw === undefined || raw === "" ? undefined : raw));

const directory = (fallback: string | undefined) =>
  z
    .string()
    .optional()
    .transform((raw) => {
      const value = raw === undefined || raw === "" ? fallback : raw;
      return value === undefined ? undefined : path.resolve(value);
    });

const redisUrl = text("redis://127.0.0.1:6379").refine(
  (raw) => {
    try {
      return ["redis:", "rediss:"].includes(new URL(raw).protocol);
    } catch {
      return false;
    }
  },
  { message: "must be a redis:// or rediss:// URL" },
);

const regex = text(DEFAULT_USERNAME_PATTERN).transform((raw, ctx) => {
  try {
    return new RegExp(raw);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: `is not a valid regular expression: ${(error as Error).message}` });
    return z.NEVER;
  }
});

const logLevel = z
  .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], { error: "must be one of fatal, error, warn, info, debug, trace, silent" })
  .optional()
  .transform((v) => v ?? "info");

const scope = (fallback: string) => text(fallback).refine((s) => !/\s/.test(s), { message: "must be one scope, without spaces" });

const common = {
  REDIS_URL: redisUrl,
  MONEYPENNY_QUEUE_PREFIX: text("{moneypenny}"),
  MONEYPENNY_USERNAME_PATTERN: regex,
  MONEYPENNY_MIN_ID: integer(1, 2 ** 32 - 2, DEFAULT_IDENTITY_RULES.minId),
  MONEYPENNY_MAX_ID: integer(1, 2 ** 32 - 2, DEFAULT_IDENTITY_RULES.maxId),
  MONEYPENNY_MAX_GROUPS: integer(0, 100_000, DEFAULT_IDENTITY_RULES.maxGroups),
  MONEYPENNY_JOB_ATTEMPTS: integer(1, 100, 5),
  MONEYPENNY_JOB_BACKOFF_MS: integer(0, 3_600_000, 1000),
  MONEYPENNY_KEEP_COMPLETED_SECONDS: integer(0, 365 * 86400, 86400),
  MONEYPENNY_KEEP_COMPLETED_COUNT: integer(0, 1_000_000, 1000),
  MONEYPENNY_KEEP_FAILED_SECONDS: integer(0, 365 * 86400, 7 * 86400),
  MONEYPENNY_KEEP_FAILED_COUNT: integer(0, 1_000_000, 5000),
  LOG_LEVEL: logLevel,
};

const apiVariables = {
  ...common,
  MONEYPENNY_HOST: text("0.0.0.0"),
  MONEYPENNY_PORT: integer(0, 65535, 8080),
  MONEYPENNY_AUTH_SECRET: optionalText.refine((v) => v === undefined || v.length >= 32, { error: "must be at least 32 characters" }),
  MONEYPENNY_AUTH_JWKS_URL: optionalText.refine((v) => v === undefined || /^https?:\/\//.test(v), { error: "must be an http:// or https:// URL" }),
  MONEYPENNY_AUTH_JWKS_FILE: directory(undefined),
  MONEYPENNY_AUTH_ALGORITHMS: optionalText.transform((v) => (v === undefined ? undefined : v.split(",").map((a) => a.trim()).filter(Boolean))),
  MONEYPENNY_AUTH_ISSUER: optionalText,
  MONEYPENNY_AUTH_AUDIENCE: optionalText,
  MONEYPENNY_AUTH_CLOCK_TOLERANCE: integer(0, 3600, 30),
  MONEYPENNY_AUTH_MAX_TOKEN_AGE: integer(0, 365 * 86400, 0),
  MONEYPENNY_AUTH_JWKS_COOLDOWN: integer(0, 86400, 30),
  MONEYPENNY_AUTH_FAILURE_LIMIT: integer(1, 1_000_000, 20),
  MONEYPENNY_AUTH_FAILURE_WINDOW: integer(1, 86400, 60),
  MONEYPENNY_REQUIRED_SCOPE: scope("admin:provision"),
  MONEYPENNY_OPERATIONS_SCOPE: scope("admin:provision"),
  MONEYPENNY_SELF_SERVICE_SCOPE: optionalText.refine((s) => s === undefined || !/\s/.test(s), { message: "must be one scope, without spaces" }),
  MONEYPENNY_SELF_SERVICE_USERNAME_CLAIM: text("sub"),
  MONEYPENNY_SELF_SERVICE_UID_CLAIM: text("uid_number"),
  MONEYPENNY_SELF_SERVICE_GID_CLAIM: text("gid_number"),
  MONEYPENNY_WAIT_TIMEOUT: integer(1, 3600, 300),
  MONEYPENNY_TRUST_PROXY: boolean(false),
  MONEYPENNY_MAX_BODY_BYTES: integer(1024, 16 * 1024 * 1024, 64 * 1024),
};

const workerVariables = {
  ...common,
  MONEYPENNY_EXECUTOR: z.enum(["local", "kubernetes"], { error: "must be local or kubernetes" }).optional().transform((v) => v ?? "local"),
  MONEYPENNY_HOME_ROOT: directory("./.data/homes"),
  MONEYPENNY_ARCHIVE_ROOT: directory("./.data/archive"),
  MONEYPENNY_SKEL_DIR: directory(undefined),
  MONEYPENNY_HOME_MODE: text("0700").transform((raw, ctx) => {
    if (!/^0?[0-7]{3,4}$/.test(raw) || (Number.parseInt(raw, 8) & ~0o7777) !== 0) {
      ctx.addIssue({ code: "custom", message: `must be an octal file mode such as 0700, got ${JSON.stringify(raw)}` });
      return z.NEVER;
    }
    return Number.parseInt(raw, 8);
  }),
  MONEYPENNY_WORKER_CONCURRENCY: integer(1, 1000, 4),
  MONEYPENNY_WORKER_LOCK_MS: integer(1000, 3_600_000, 30_000),
  MONEYPENNY_WORKER_STALLED_INTERVAL_MS: integer(500, 3_600_000, 30_000),
  MONEYPENNY_WORKER_MAX_STALLED: integer(0, 100, 2),
  MONEYPENNY_SHUTDOWN_GRACE_SECONDS: integer(0, 3600, 25),
  MONEYPENNY_WORKER_METRICS_HOST: text("0.0.0.0"),
  MONEYPENNY_WORKER_METRICS_PORT: integer(0, 65535, 9090),
  MONEYPENNY_ORDERS_FILE: directory(undefined),
  MONEYPENNY_PROVISIONER_IMAGE: text("ghcr.io/lsst-sqre/moneypenny-provisioner:0.1.0"),
  MONEYPENNY_HOMES_VOLUME: optionalText,
  MONEYPENNY_K8S_NAMESPACE: optionalText,
  MONEYPENNY_K8S_SERVICE_ACCOUNT_ROOT: text(""),
  KUBECONFIG: optionalText,
  MONEYPENNY_JOB_ACTIVE_DEADLINE_SECONDS: integer(1, 86400, 300),
  MONEYPENNY_JOB_TTL_SECONDS: integer(0, 7 * 86400, 3600),
  MONEYPENNY_ORDER_TIMEOUT_SECONDS: integer(1, 86400, 360),
  MONEYPENNY_K8S_RESYNC_SECONDS: integer(1, 3600, 30),
  MONEYPENNY_ORPHAN_AGE_SECONDS: integer(0, 30 * 86400, 3600),
  MONEYPENNY_ORPHAN_SWEEP_SECONDS: integer(10, 86400, 600),
};

export interface QueueSettings {
  prefix: string;
  attempts: number;
  backoffMs: number;
  keepCompleted: { age: number; count: number };
  keepFailed: { age: number; count: number };
}

interface CommonConfig {
  redisUrl: string;
  queue: QueueSettings;
  identity: IdentityRules;
  logLevel: string;
}

/** Where the keys that sign tokens come from: exactly one is configured. */
export type KeySource = { kind: "secret"; secret: string } | { kind: "jwks-url"; url: string; cooldownSeconds: number } | { kind: "jwks-file"; path: string };

export interface AuthSettings {
  keySource: KeySource;
  /** Algorithms a token may use; undefined: the key source's default. */
  algorithms: string[] | undefined;
  issuer: string | undefined;
  audience: string | undefined;
  clockToleranceSeconds: number;
  /** 0: no limit beyond `exp`. */
  maxTokenAgeSeconds: number;
  /** Scope that may provision any dossier. */
  provisionScope: string;
  /** Scope that may operate the queue (job lists, retries, dashboard). */
  operationsScope: string;
  /** Scope that may commission only its own user; undefined: self-service is off. */
  selfServiceScope: string | undefined;
  selfServiceClaims: { username: string; uid: string; gid: string };
  /** Failed authentications allowed per client in a window, before 429. */
  failureLimit: number;
  failureWindowSeconds: number;
}

export interface ApiConfig extends CommonConfig {
  host: string;
  port: number;
  auth: AuthSettings;
  waitTimeoutSeconds: number;
  trustProxy: boolean;
  maxBodyBytes: number;
}

export type ExecutorKind = "local" | "kubernetes";

/** Settings of the Kubernetes executor (read only when it is chosen). */
export interface KubernetesSettings {
  /** YAML file of orders; undefined means the default orders (the provisioner image). */
  ordersFile: string | undefined;
  provisionerImage: string;
  /** YAML or JSON text of the volume holding all homes (default orders). */
  homesVolume: string | undefined;
  /** undefined: the worker's own namespace (service-account namespace file). */
  namespace: string | undefined;
  /** Prefix of the in-cluster service-account files ("" in a real pod). */
  serviceAccountRoot: string;
  /** The kubeconfig to use outside a pod. */
  kubeconfig: string | undefined;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
  orderTimeoutMs: number;
  resyncMs: number;
  orphanAgeMs: number;
  orphanSweepMs: number;
}

export interface WorkerConfig extends CommonConfig {
  executor: ExecutorKind;
  homeRoot: string;
  archiveRoot: string;
  skelDir: string | undefined;
  homeMode: number;
  concurrency: number;
  lockMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  shutdownGraceMs: number;
  /** Where the worker serves /healthz, /readyz and /metrics. */
  probes: { host: string; port: number };
  kubernetes: KubernetesSettings;
}

/** Parses the variables; `otherProblems` (checks across variables) join the same single message. */
function parse<S extends z.ZodRawShape>(shape: S, env: Env, otherProblems: string[] = []): z.output<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  const problems = [...(result.success ? [] : result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`)), ...otherProblems];
  if (!result.success || problems.length > 0) throw new ConfigError(problems);
  return result.data;
}

const KEY_SOURCES = ["MONEYPENNY_AUTH_SECRET", "MONEYPENNY_AUTH_JWKS_URL", "MONEYPENNY_AUTH_JWKS_FILE"];

function keySourceProblems(env: Env): string[] {
  const given = KEY_SOURCES.filter((name) => (env[name] ?? "") !== "");
  if (given.length === 0) {
    return ["MONEYPENNY_AUTH_SECRET: one key source is required: MONEYPENNY_AUTH_JWKS_URL, MONEYPENNY_AUTH_JWKS_FILE or (for development) MONEYPENNY_AUTH_SECRET"];
  }
  return given.length > 1 ? [`${given.join(", ")}: set only one key source`] : [];
}

function commonConfig(v: z.output<z.ZodObject<typeof common>>): CommonConfig {
  if (v.MONEYPENNY_MIN_ID > v.MONEYPENNY_MAX_ID) {
    throw new ConfigError([`MONEYPENNY_MIN_ID: must not be above MONEYPENNY_MAX_ID (${v.MONEYPENNY_MIN_ID} > ${v.MONEYPENNY_MAX_ID})`]);
  }
  return {
    redisUrl: v.REDIS_URL,
    queue: {
      prefix: v.MONEYPENNY_QUEUE_PREFIX,
      attempts: v.MONEYPENNY_JOB_ATTEMPTS,
      backoffMs: v.MONEYPENNY_JOB_BACKOFF_MS,
      keepCompleted: { age: v.MONEYPENNY_KEEP_COMPLETED_SECONDS, count: v.MONEYPENNY_KEEP_COMPLETED_COUNT },
      keepFailed: { age: v.MONEYPENNY_KEEP_FAILED_SECONDS, count: v.MONEYPENNY_KEEP_FAILED_COUNT },
    },
    identity: {
      usernamePattern: v.MONEYPENNY_USERNAME_PATTERN,
      minId: v.MONEYPENNY_MIN_ID,
      maxId: v.MONEYPENNY_MAX_ID,
      maxGroups: v.MONEYPENNY_MAX_GROUPS,
    },
    logLevel: v.LOG_LEVEL,
  };
}

/** The one key source (keySourceProblems has checked there is exactly one). */
function keySource(secret: string | undefined, url: string | undefined, file: string | undefined, cooldownSeconds: number): KeySource {
  if (secret !== undefined) return { kind: "secret", secret };
  if (url !== undefined) return { kind: "jwks-url", url, cooldownSeconds };
  return { kind: "jwks-file", path: file! };
}

export function loadApiConfig(env: Env = process.env): ApiConfig {
  const v = parse(apiVariables, env, keySourceProblems(env));
  return {
    ...commonConfig(v),
    host: v.MONEYPENNY_HOST,
    port: v.MONEYPENNY_PORT,
    auth: {
      keySource: keySource(v.MONEYPENNY_AUTH_SECRET, v.MONEYPENNY_AUTH_JWKS_URL, v.MONEYPENNY_AUTH_JWKS_FILE, v.MONEYPENNY_AUTH_JWKS_COOLDOWN),
      algorithms: v.MONEYPENNY_AUTH_ALGORITHMS,
      issuer: v.MONEYPENNY_AUTH_ISSUER,
      audience: v.MONEYPENNY_AUTH_AUDIENCE,
      clockToleranceSeconds: v.MONEYPENNY_AUTH_CLOCK_TOLERANCE,
      maxTokenAgeSeconds: v.MONEYPENNY_AUTH_MAX_TOKEN_AGE,
      provisionScope: v.MONEYPENNY_REQUIRED_SCOPE,
      operationsScope: v.MONEYPENNY_OPERATIONS_SCOPE,
      selfServiceScope: v.MONEYPENNY_SELF_SERVICE_SCOPE,
      selfServiceClaims: {
        username: v.MONEYPENNY_SELF_SERVICE_USERNAME_CLAIM,
        uid: v.MONEYPENNY_SELF_SERVICE_UID_CLAIM,
        gid: v.MONEYPENNY_SELF_SERVICE_GID_CLAIM,
      },
      failureLimit: v.MONEYPENNY_AUTH_FAILURE_LIMIT,
      failureWindowSeconds: v.MONEYPENNY_AUTH_FAILURE_WINDOW,
    },
    waitTimeoutSeconds: v.MONEYPENNY_WAIT_TIMEOUT,
    trustProxy: v.MONEYPENNY_TRUST_PROXY,
    maxBodyBytes: v.MONEYPENNY_MAX_BODY_BYTES,
  };
}

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const v = parse(workerVariables, env);
  return {
    ...commonConfig(v),
    executor: v.MONEYPENNY_EXECUTOR,
    homeRoot: v.MONEYPENNY_HOME_ROOT ?? path.resolve(".data/homes"),
    archiveRoot: v.MONEYPENNY_ARCHIVE_ROOT ?? path.resolve(".data/archive"),
    skelDir: v.MONEYPENNY_SKEL_DIR,
    homeMode: v.MONEYPENNY_HOME_MODE,
    concurrency: v.MONEYPENNY_WORKER_CONCURRENCY,
    lockMs: v.MONEYPENNY_WORKER_LOCK_MS,
    stalledIntervalMs: v.MONEYPENNY_WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: v.MONEYPENNY_WORKER_MAX_STALLED,
    shutdownGraceMs: v.MONEYPENNY_SHUTDOWN_GRACE_SECONDS * 1000,
    probes: { host: v.MONEYPENNY_WORKER_METRICS_HOST, port: v.MONEYPENNY_WORKER_METRICS_PORT },
    kubernetes: {
      ordersFile: v.MONEYPENNY_ORDERS_FILE,
      provisionerImage: v.MONEYPENNY_PROVISIONER_IMAGE,
      homesVolume: v.MONEYPENNY_HOMES_VOLUME,
      namespace: v.MONEYPENNY_K8S_NAMESPACE,
      serviceAccountRoot: v.MONEYPENNY_K8S_SERVICE_ACCOUNT_ROOT,
      kubeconfig: v.KUBECONFIG,
      activeDeadlineSeconds: v.MONEYPENNY_JOB_ACTIVE_DEADLINE_SECONDS,
      ttlSecondsAfterFinished: v.MONEYPENNY_JOB_TTL_SECONDS,
      orderTimeoutMs: v.MONEYPENNY_ORDER_TIMEOUT_SECONDS * 1000,
      resyncMs: v.MONEYPENNY_K8S_RESYNC_SECONDS * 1000,
      orphanAgeMs: v.MONEYPENNY_ORPHAN_AGE_SECONDS * 1000,
      orphanSweepMs: v.MONEYPENNY_ORPHAN_SWEEP_SECONDS * 1000,
    },
  };
}

/** Every environment variable either process reads: the compose test checks against it. */
export const CONFIG_VARIABLES: readonly string[] = [...new Set([...Object.keys(apiVariables), ...Object.keys(workerVariables)])];
