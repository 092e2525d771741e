import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/** One JSON line per event; secrets are redacted wherever they appear. */
export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options = { name, level, redact: ["req.headers.authorization", "req.headers.cookie", "headers.authorization", "headers.cookie", "token"] };
  return destination === undefined ? pino(options) : pino(options, destination);
}
