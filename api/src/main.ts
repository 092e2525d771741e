import { ConfigError, createLogger, loadApiConfig } from "@moneypenny/shared";
import { startApiServer } from "./server.js";

/** The API process: serves until SIGTERM or SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadApiConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`moneypenny-api: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const log = createLogger("moneypenny-api", config.logLevel);
  const server = await startApiServer(config, log);
  const stop = (signal: string) => {
    log.info({ signal }, "shutting down");
    server.close().then(
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
