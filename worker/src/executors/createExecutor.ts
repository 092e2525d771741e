import type { WorkerConfig } from "@moneypenny/shared";
import { provisionerSettings } from "../provisioner/provisionerSettings.js";
import type { Executor } from "./executor.js";
import { LocalExecutor } from "./localExecutor.js";

/** The executor the configuration names. */
export function createExecutor(config: WorkerConfig): Executor {
  switch (config.executor) {
    case "local":
      return new LocalExecutor(provisionerSettings(config));
  }
}
