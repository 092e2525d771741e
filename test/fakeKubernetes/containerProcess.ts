import { spawn } from "node:child_process";
import { constants } from "node:os";

export interface ProcessOutcome {
  exitCode: number;
  /** As the container runtime reports it: Completed (0), Error (non-zero), StartError (could not exec). */
  reason: "Completed" | "Error" | "StartError";
  signal?: number;
  message?: string;
}

export interface ProcessOptions {
  env: Record<string, string>;
  cwd: string;
  /** stdout and stderr, interleaved as they come: the container's log. */
  onOutput: (text: string) => void;
  /** Aborting it stops the container as the kubelet does: SIGTERM, then SIGKILL after the grace period. */
  signal: AbortSignal;
  gracePeriodSeconds: () => number;
}

/**
 * Runs one container's process in its own process group, which stands for the
 * container: when its first process ends, whatever it left running is killed,
 * as a container's processes die with its PID 1.
 */
export function runProcess(argv: readonly string[], options: ProcessOptions): Promise<ProcessOutcome> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.resolve({ exitCode: 128, reason: "StartError", message: "no command specified" });
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // the group is already gone
      }
    };
    const onAbort = () => {
      killGroup("SIGTERM");
      killTimer = setTimeout(() => killGroup("SIGKILL"), options.gracePeriodSeconds() * 1000);
    };
    const settle = (outcome: ProcessOutcome) => {
      clearTimeout(killTimer);
      options.signal.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (text: string) => options.onOutput(text));
    }
    child.once("error", (error: NodeJS.ErrnoException) => {
      // The process never started (ENOENT, EACCES): a StartError, with the runtime's exit code 128.
      if (child.pid === undefined) {
        const message = error.code === "ENOENT" ? `exec: "${file}": executable file not found in $PATH` : error.message;
        settle({ exitCode: 128, reason: "StartError", message });
      }
    });
    child.once("exit", () => killGroup("SIGKILL"));
    child.once("close", (code, signal) => {
      if (child.pid === undefined) return;
      if (signal) {
        const number = constants.signals[signal];
        settle({ exitCode: 128 + number, reason: "Error", signal: number });
      } else settle({ exitCode: code ?? 0, reason: code === 0 ? "Completed" : "Error" });
    });
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener("abort", onAbort, { once: true });
  });
}
