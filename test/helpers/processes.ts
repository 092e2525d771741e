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
  return spawn(command!, rest, {
    env: { PATH: process.env["PATH"], ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
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
