import { readFileSync } from "node:fs";
import { Router } from "@koa/router";

const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };

/** `GET /moneypenny/`: who this is; no authentication. */
export function serviceInfoRouter(): Router {
  const router = new Router();
  router.get(["/moneypenny", "/moneypenny/"], (ctx) => {
    ctx.body = {
      name: "moneypenny",
      version: manifest.version,
      description: "Privileged actions, such as creating home directories, on behalf of science-platform users",
    };
  });
  return router;
}
