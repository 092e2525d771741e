import { loadWorkerConfig, runService } from "@moneypenny/shared";
import { createExecutor } from "./executors/createExecutor.js";
import { OrderWorker } from "./orderWorker.js";
import { runningAsRoot } from "./provisioner/provisionerSettings.js";

/** The worker process: consumes orders until SIGTERM or SIGINT. */
await runService("moneypenny-worker", () => loadWorkerConfig(), async (config, log) => {
  if (config.executor === "local" && !runningAsRoot()) {
    log.warn(`not running as root (uid ${process.getuid?.()}): homes will be created, but ownership cannot be set; every result says so`);
  }
  const worker = await OrderWorker.start(config, await createExecutor(config, log), log);
  return { close: () => worker.close(config.shutdownGraceMs) };
});
