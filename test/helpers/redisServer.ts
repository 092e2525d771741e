import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";

/**
 * A private redis-server for one test file: a free port on 127.0.0.1 and its
 * own data directory, AOF on (so a restart keeps what was acknowledged),
 * noeviction (as BullMQ requires). Never the developer's Redis.
 */
export class RedisServer {
  #process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<RedisServer> {
    const dataDir = await mkdtemp(path.join(tmpdir(), "moneypenny-redis-"));
    const server = new RedisServer(await freePort(), dataDir);
    await server.startProcess();
    return server;
  }

  async startProcess(): Promise<void> {
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dataDir, "--appendonly", "yes", "--appendfsync", "always",
        "--save", "", "--maxmemory-policy", "noeviction", "--daemonize", "no", "--loglevel", "warning"],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    this.#process = child;
    await waitForPing(this.url, child);
  }

  /** Stops the server (SIGTERM, it flushes the AOF) and waits for it to exit. */
  async stopProcess(): Promise<void> {
    const child = this.#process;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
    this.#process = undefined;
  }

  async restart(): Promise<void> {
    await this.stopProcess();
    await this.startProcess();
  }

  async stop(): Promise<void> {
    await this.stopProcess();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(url: string, child: ChildProcess): Promise<void> {
  let onExit: (code: number | null) => void = () => {};
  const exited = new Promise<never>((_, reject) => {
    onExit = (code) => reject(new Error(`redis-server exited with code ${code} before answering`));
    child.once("exit", onExit);
  });
  // The PING waits in ioredis's offline queue until a connection succeeds.
  const client = new Redis(url, { maxRetriesPerRequest: null, retryStrategy: () => 20 });
  client.on("error", () => {});
  try {
    await Promise.race([client.ping(), exited]);
  } finally {
    child.off("exit", onExit);
    client.disconnect();
  }
}
