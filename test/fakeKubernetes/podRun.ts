import { setTimeout as sleep } from "node:timers/promises";
import { runProcess, type ProcessOutcome } from "./containerProcess.js";
import { expand } from "./expansion.js";
import type { Faults } from "./faults.js";
import { timestamp } from "./names.js";
import type { Container, ContainerStatus, Pod, PodStatus } from "./objects.js";
import { running, terminated, waiting } from "./podStatus.js";
import type { Scratch } from "./scratch.js";
import type { Store } from "./store.js";
import { mountsOf, prepareVolumes, rewritePath } from "./volumes.js";

/** What an image would run: its ENTRYPOINT and CMD. */
export interface ImageConfig {
  entrypoint: string[];
  cmd?: string[];
}

export interface KubeletContext {
  store: Store;
  scratch: Scratch;
  faults: Faults;
  images: Readonly<Record<string, ImageConfig>>;
}

const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));

/**
 * One pod on the fake node: its init containers in order, then its first
 * main container, each as a local process, with the pod's status reported
 * to the store as the kubelet reports it. Stopping it (the pod is being
 * deleted) kills the running process and reports nothing more.
 */
export class PodRun {
  readonly #abort = new AbortController();
  readonly #logs = new Map<string, string>();
  #gracePeriodSeconds: number;
  readonly done: Promise<void>;

  constructor(
    private readonly pod: Pod,
    private readonly context: KubeletContext,
  ) {
    this.#gracePeriodSeconds = pod.spec.terminationGracePeriodSeconds ?? 30;
    this.done = this.#run().catch((error: unknown) => {
      if (this.#abort.signal.aborted) return;
      // Where the real kubelet would keep retrying (a hostPath it cannot create, ...): the pod
      // stays Pending with the error in its status, and the test's log shows it.
      process.emitWarning(`FakeKubernetes kubelet: pod ${pod.metadata.name}: ${String(error)}`);
      this.#setStatus((status) => {
        status.message = String(error);
        status.reason = "CreateContainerError";
      });
    });
  }

  /** The container's output so far; undefined for a container that has not started. */
  log(container: string): string | undefined {
    return this.#logs.get(container);
  }

  /** Kills the pod's processes (SIGTERM, then SIGKILL after the grace period) and resolves once they are gone. */
  stop(gracePeriodSeconds?: number): Promise<void> {
    if (gracePeriodSeconds !== undefined) this.#gracePeriodSeconds = gracePeriodSeconds;
    this.#abort.abort();
    return this.done;
  }

  async #run(): Promise<void> {
    const { signal } = this.#abort;
    const { store, scratch, faults } = this.context;
    if (faults.startLatencyMs > 0) await sleep(faults.startLatencyMs, undefined, { signal });
    const init = this.pod.spec.initContainers ?? [];
    const main = this.pod.spec.containers[0];
    if (!main) return; // admission refuses a pod template without containers
    this.#setStatus((status) => {
      status.startTime = timestamp();
      if (init.length > 0) status.initContainerStatuses = init.map((c) => waiting(c, "PodInitializing"));
      status.containerStatuses = [waiting(main, init.length > 0 ? "PodInitializing" : "ContainerCreating")];
    });
    const hostDirs = await prepareVolumes(this.pod, store, scratch, signal);
    const workDir = await scratch.newDir(`pod-${this.pod.metadata.name}`);

    for (const [i, container] of init.entries()) {
      const outcome = await this.#runContainer(container, hostDirs, workDir, (s) => {
        this.#setStatus((status) => {
          if (status.initContainerStatuses) status.initContainerStatuses[i] = s;
        });
      });
      if (signal.aborted) return;
      if (outcome.exitCode !== 0) {
        this.#setStatus((status) => (status.phase = "Failed"));
        return;
      }
    }

    const report = (s: ContainerStatus, phase?: PodStatus["phase"]) =>
      this.#setStatus((status) => {
        status.containerStatuses = [s];
        if (phase) status.phase = phase;
      });
    const jobName = this.pod.metadata.labels?.["job-name"];
    if (jobName !== undefined && faults.neverFinish?.(jobName)) {
      report(running(main, timestamp()), "Running");
      return untilAborted(signal);
    }
    const outcome = await this.#runContainer(main, hostDirs, workDir, (s) => report(s, s.state.running ? "Running" : undefined));
    if (signal.aborted) return;
    this.#setStatus((status) => (status.phase = outcome.exitCode === 0 ? "Succeeded" : "Failed"));
  }

  /** argv as the runtime builds it: command, or else the image's ENTRYPOINT; then args, or else (only without command) the image's CMD. */
  #argv(container: Container, variables: ReadonlyMap<string, string>): string[] | undefined {
    const image = container.image === undefined ? undefined : this.context.images[container.image];
    const command = container.command?.map((a) => expand(a, variables)) ?? image?.entrypoint;
    if (command === undefined) return undefined;
    const args = container.args?.map((a) => expand(a, variables)) ?? (container.command ? [] : (image?.cmd ?? []));
    return [...command, ...args];
  }

  async #runContainer(container: Container, hostDirs: ReadonlyMap<string, string>, workDir: string, report: (s: ContainerStatus) => void): Promise<ProcessOutcome> {
    const { signal } = this.#abort;
    const variables = new Map<string, string>();
    for (const env of container.env ?? []) {
      // valueFrom (secrets, field refs) is not resolved: such a variable is left out.
      if (env.valueFrom === undefined) variables.set(env.name, expand(env.value ?? "", variables));
    }
    const argv = this.#argv(container, variables);
    if (argv === undefined) {
      // An image the fake does not know and no command: the real kubelet cannot pull it and keeps the
      // pod Pending (ErrImagePull, ImagePullBackOff) until the pod is deleted; the Job does not fail.
      const image = container.image ?? "";
      report(waiting(container, "ErrImagePull", `Failed to pull image "${image}": rpc error: code = NotFound desc = failed to pull and unpack image "${image}": not found`));
      await untilAborted(signal);
      return { exitCode: 137, reason: "Error" };
    }
    const mounts = await mountsOf(container, hostDirs);
    const env: Record<string, string> = { PATH: process.env["PATH"] ?? "/usr/bin:/bin" };
    for (const [name, value] of variables) env[name] = rewritePath(value, mounts);
    // A workingDir outside every mount is a directory of the image, which the fake does not have.
    const mountedWorkingDir = container.workingDir === undefined ? undefined : rewritePath(container.workingDir, mounts);
    const cwd = mountedWorkingDir !== undefined && mountedWorkingDir !== container.workingDir ? mountedWorkingDir : workDir;
    const startedAt = timestamp();
    this.#logs.set(container.name, "");
    report(running(container, startedAt));
    const outcome = await runProcess(
      argv.map((a) => rewritePath(a, mounts)),
      {
        env,
        cwd,
        onOutput: (text) => this.#logs.set(container.name, (this.#logs.get(container.name) ?? "") + text),
        signal,
        gracePeriodSeconds: () => this.#gracePeriodSeconds,
      },
    );
    report(terminated(container, outcome, outcome.reason === "StartError" ? undefined : startedAt));
    return outcome;
  }

  /** Reports a status change, unless the pod is being deleted (its status no longer matters). */
  #setStatus(change: (status: PodStatus) => void): void {
    if (this.#abort.signal.aborted) return;
    this.context.store.update("pods", this.pod.metadata.namespace, this.pod.metadata.name, (pod) => change(pod.status));
  }
}
