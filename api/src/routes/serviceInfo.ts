import { readFileSync } from "node:fs";
import { Router } from "@koa/router";
import type { ApiConfig } from "@moneypenny/shared";
import { openApiDocument } from "../openapi/openApiDocument.js";

const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** `GET /moneypenny/` (who this is) and `GET /moneypenny/openapi.json`; no authentication. */
export function serviceInfoRouter(config: ApiConfig): Router {
  const router = new Router();
  const document = openApiDocument(config, manifest.version);
  router.get(["/moneypenny", "/moneypenny/"], (ctx) => {
    ctx.body = {
      name: "moneypenny",
      version: manifest.version,
      description: "Privileged actions, such as creating home directories, on behalf of science-platform users",
    };
  });
  router.get("/moneypenny/openapi.json", (ctx) => {
    ctx.body = document;
  });
  return router;
}
