import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger };

/**
 * One JSON line per event (for log collectors), or readable lines when stdout
 * is a terminal (a person is watching); secrets are redacted wherever they appear.
 */
export function createLogger(name: string, level: string, destination?: DestinationStream): Logger {
  const options = { name, level, redact: ["req.headers.authorization", "req.headers.cookie", "headers.authorization", "headers.cookie", "token"] };
  if (destination !== undefined) return pino(options, destination);
  if (process.stdout.isTTY) return pino(options, pino.transport({ target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss" } }));
  return pino(options);
}
