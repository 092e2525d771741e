import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Env } from "@moneypenny/shared";

const root = path.resolve(import.meta.dirname, "../..");

/**
 * A Node process running a TypeScript entry point from source, as the test
 * runner does; `wrapper` runs it through another command (e.g. setpriv).
 */
export function spawnTs(entry: string, env: Env, args: readonly string[] = [], wrapper: readonly string[] = []): ChildProcess {
  const argv = [process.execPath, "--import=tsx", "--conditions=source", path.join(root, entry), ...args];
  const [command, ...rest] = [...wrapper, ...argv];
  const child = spawn(command!, rest, {
    env: { PATH: process.env["PATH"], ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  // tsx's esbuild helper inherits the child's stderr and may outlive it by a
  // moment (longer when the child was killed): once the child has exited and
  // its output had a second to drain, close our ends, so that no pipe keeps
  // the test's process alive.
  child.once("exit", () => {
    const timer = setTimeout(() => {
      for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy();
    }, 1000);
    timer.unref();
    child.once("close", () => clearTimeout(timer));
  });
  return child;
}

/** Resolves with the first stdout line that matches, or rejects when the process exits first. */
export function lineMatching(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`process exited (${signal ?? code}) before printing ${pattern}: ${stderr}`));
    child.once("exit", onExit);
    lines.on("line", (line) => {
      if (pattern.test(line)) {
        child.off("exit", onExit);
        lines.close();
        resolve(line);
      }
    });
  });
}

export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
}
