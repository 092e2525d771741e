import { ConfigError } from "./config.js";
import { createLogger, type Logger } from "./logger.js";

export interface RunningService {
  close(): Promise<void>;
}

/**
 * The life of a Moneypenny process: load the configuration and start (a bad
 * configuration, found by either, exits 2 with one message naming every bad
 * variable), and on SIGTERM or SIGINT close in order and exit 0 (1 if closing fails).
 */
export async function runService<C extends { logLevel: string }>(
  name: string,
  loadConfig: () => C,
  start: (config: C, log: Logger) => Promise<RunningService>,
): Promise<void> {
  let service: RunningService;
  let log: Logger;
  try {
    const config = loadConfig();
    log = createLogger(name, config.logLevel);
    service = await start(config, log);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const stop = (signal: string) => {
    log.info({ signal }, "shutting down");
    service.close().then(
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
