import { loadWorkerConfig, redisFailure, runService, startProbeServer } from "@moneypenny/shared";
import { createExecutor } from "./executors/createExecutor.js";
import { OrderWorker } from "./orderWorker.js";
import { runningAsRoot } from "./provisioner/provisionerSettings.js";
import { WorkerMetrics } from "./workerMetrics.js";

/** The worker process: consumes orders until SIGTERM or SIGINT; probes and metrics on their own port. */
await runService("moneypenny-worker", () => loadWorkerConfig(), async (config, log) => {
  if (config.executor === "local" && !runningAsRoot()) {
    log.warn(`not running as root (uid ${process.getuid?.()}): homes will be created, but ownership cannot be set; every result says so`);
  }
  const metrics = new WorkerMetrics();
  const executor = await createExecutor(config, log, metrics);
  const worker = await OrderWorker.start(config, executor, log, metrics);
  const probes = await startProbeServer(
    config.probes.port,
    config.probes.host,
    { redis: () => redisFailure(worker.redis), executor: () => executor.ready?.() ?? Promise.resolve(undefined) },
    metrics.registry,
  );
  log.info({ port: probes.port }, "probes and metrics listening");
  return {
    close: async () => {
      await worker.close(config.shutdownGraceMs);
      await probes.close();
    },
  };
});
