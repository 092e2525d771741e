/**
 * Runs Moneypenny on one machine for trying it out: a private Redis when none
 * answers at REDIS_URL, the local executor with everything under ./.data, a
 * development secret, and a token ready to paste. Started by `npm start`.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { Redis } from "ioredis";
import { mintDevelopmentToken } from "@moneypenny/api";

const root = path.resolve(import.meta.dirname, "..");
const data = path.join(root, ".data");
const env: Record<string, string | undefined> = { ...process.env };
env["REDIS_URL"] ??= "redis://127.0.0.1:6379";
env["MONEYPENNY_HOME_ROOT"] ??= path.join(data, "homes");
env["MONEYPENNY_ARCHIVE_ROOT"] ??= path.join(data, "archive");
env["MONEYPENNY_PORT"] ??= "8080";
const children: ChildProcess[] = [];

async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function startPrivateRedis(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(hostname)) {
    throw new Error(`nothing answers at REDIS_URL=${url}, and it is not on this machine, so no Redis can be started for it`);
  }
  const dir = path.join(data, "redis");
  await mkdir(dir, { recursive: true });
  console.log(`No Redis answers at ${url}: starting a private redis-server (AOF on, data in ${path.relative(root, dir)}).`);
  // Its own process group: Ctrl-C reaches the API and the worker, and Redis is stopped after them.
  const child = spawn(
    "redis-server",
    ["--port", port || "6379", "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", "", "--maxmemory-policy", "noeviction"],
    { stdio: ["ignore", "ignore", "inherit"], detached: true },
  );
  const failed = new Promise<never>((_, reject) =>
    child.once("error", (error) =>
      reject(new Error(`cannot start redis-server (${error.message}): install it (sudo apt-get install redis-server), or point REDIS_URL at a running Redis`)),
    ),
  );
  failed.catch(() => undefined);
  children.push(child);
  await Promise.race([new Promise((resolve) => child.once("spawn", resolve)), failed]);
  for (let i = 0; i < 50 && !(await redisAnswers(url)); i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!(await redisAnswers(url))) throw new Error("the private redis-server did not answer within 5 s");
}

async function developmentSecret(): Promise<string> {
  if (env["MONEYPENNY_AUTH_SECRET"]) return env["MONEYPENNY_AUTH_SECRET"];
  const file = path.join(data, "dev-secret");
  if (!existsSync(file)) {
    await writeFile(file, randomBytes(32).toString("hex"), { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return (await readFile(file, "utf8")).trim();
}

function run(name: string, script: string): ChildProcess {
  const child = spawn(process.execPath, [path.join(root, script)], { env, stdio: "inherit" });
  child.once("exit", (code, signal) => {
    if (!stopping) {
      console.error(`${name} exited (${signal ?? `code ${code}`}); stopping everything.`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

async function apiAnswers(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the API did not answer at ${url} within 10 s`);
}

let stopping = false;
async function stop(code: number): Promise<void> {
  // A second signal (a second Ctrl-C, or a wrapper forwarding one) must not cut the clean-up short.
  if (stopping) return;
  stopping = true;
  // API and worker first (the worker finishes its orders), Redis last.
  for (const child of [...children].reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    }
  }
  process.exit(code);
}

async function main(): Promise<void> {
  for (const dir of [data, env["MONEYPENNY_HOME_ROOT"]!, env["MONEYPENNY_ARCHIVE_ROOT"]!]) await mkdir(dir, { recursive: true });
  if (!(await redisAnswers(env["REDIS_URL"]!))) await startPrivateRedis(env["REDIS_URL"]!);
  env["MONEYPENNY_AUTH_SECRET"] = await developmentSecret();
  const token = await mintDevelopmentToken({
    secret: env["MONEYPENNY_AUTH_SECRET"],
    scope: env["MONEYPENNY_REQUIRED_SCOPE"] || "admin:provision",
    ...(env["MONEYPENNY_AUTH_ISSUER"] ? { issuer: env["MONEYPENNY_AUTH_ISSUER"] } : {}),
    ...(env["MONEYPENNY_AUTH_AUDIENCE"] ? { audience: env["MONEYPENNY_AUTH_AUDIENCE"] } : {}),
    expiresIn: "30d",
  });
  await writeFile(path.join(data, "dev-token"), token, { mode: 0o600 });

  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  run("worker", "worker/dist/main.js");
  run("API", "api/dist/main.js");
  const base = `http://127.0.0.1:${env["MONEYPENNY_PORT"]}`;
  await apiAnswers(`${base}/moneypenny/`);

  const notRoot = process.getuid?.() !== 0;
  console.log(`
Moneypenny is running: API ${base}/moneypenny/, local executor, homes in ${env["MONEYPENNY_HOME_ROOT"]}
${notRoot ? `
NOTE: not running as root (uid ${process.getuid?.()}), so home directories cannot be given to their users:
      they are created owned by you, and every result says "ownership not applied".
` : ""}
Development token (also in .data/dev-token, valid 30 days):
  export TOKEN=${token}

Try it:
  curl -sL ${base}/moneypenny/users -H "Authorization: Bearer $TOKEN" \\
       -H 'Content-Type: application/json' -d '{"username":"someuser","uid":2001,"groups":[]}'
  curl -sL ${base}/moneypenny/users/someuser/wait -H "Authorization: Bearer $TOKEN"

Ctrl-C stops the API, the worker${children.length > 2 ? " and the private Redis" : ""}.
`);
}

main().catch((error: unknown) => {
  console.error(`quick start failed: ${error instanceof Error ? error.message : String(error)}`);
  void stop(1);
});
