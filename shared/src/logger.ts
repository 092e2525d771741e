import { pino, type Logger } from "pino";

export type { Logger };

/** One JSON line per event; secrets are redacted wherever they appear. */
export function createLogger(name: string, level: string): Logger {
  return pino({
    name,
    level,
    redact: ["req.headers.authorization", "req.headers.cookie", "headers.authorization", "headers.cookie", "token"],
  });
}
