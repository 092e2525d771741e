import { ConfigError, createLogger, loadWorkerConfig } from "@moneypenny/shared";
import { createExecutor } from "./executors/createExecutor.js";
import { OrderWorker } from "./orderWorker.js";
import { runningAsRoot } from "./provisioner/provisionerSettings.js";

/** The worker process: consumes orders until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadWorkerConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`moneypenny-worker: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger("moneypenny-worker", config.logLevel);
  if (config.executor === "local" && !runningAsRoot()) {
    log.warn(`not running as root (uid ${process.getuid?.()}): homes will be created, but ownership cannot be set; every result says so`);
  }
  const worker = await OrderWorker.start(config, createExecutor(config), log);
  const stop = (signal: string) => {
    log.info({ signal }, "shutting down");
    worker.close(config.shutdownGraceMs).then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

await main();
