import type { Logger, WorkerConfig } from "@moneypenny/shared";
import { provisionerSettings } from "../provisioner/provisionerSettings.js";
import type { Executor } from "./executor.js";
import { KubernetesExecutor } from "./kubernetes/kubernetesExecutor.js";
import { LocalExecutor } from "./localExecutor.js";
import type { WorkerMetrics } from "../workerMetrics.js";

/** The executor the configuration names, checked and ready. */
export async function createExecutor(config: WorkerConfig, log: Logger, metrics?: WorkerMetrics): Promise<Executor> {
  switch (config.executor) {
    case "local":
      return new LocalExecutor(provisionerSettings(config));
    case "kubernetes":
      return KubernetesExecutor.create(config.kubernetes, config.identity, config.homeMode, log, metrics);
  }
}
