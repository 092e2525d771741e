import { loadApiConfig, runService } from "@moneypenny/shared";
import { startApiServer } from "./server.js";

/** The API process: serves until SIGTERM or SIGINT. */
await runService("moneypenny-api", () => loadApiConfig(), startApiServer);
