import { Router } from "@koa/router";
import type { Context } from "koa";
import { z } from "zod";
import { dossierSchema, nameSchema, type ApiConfig } from "@moneypenny/shared";
import type { AuthState } from "../auth/authenticate.js";
import type { Authorizer } from "../auth/authorizer.js";
import { HttpError } from "../http/httpError.js";
import { readJsonBody } from "../http/jsonBody.js";
import { absoluteUrl } from "../http/location.js";
import { validate } from "../http/validation.js";
import { userStatusView } from "../models/userStatus.js";
import { UnknownUserError } from "../services/orderErrors.js";
import type { OrderService } from "../services/orderService.js";
import type { OrderWaiter } from "../services/orderWaiter.js";

type State = AuthState;

/** `?timeout=S` of the long poll. */
export const waitQuery = z.strictObject({
  timeout: z.coerce.number({ error: "must be a number of seconds" }).positive({ error: "must be a positive number of seconds" }).optional(),
});

export interface UsersRouterDependencies {
  config: ApiConfig;
  authorizer: Authorizer;
  orders: OrderService;
  waiter: OrderWaiter;
}

/**
 * The spawner's routes (the old Moneypenny's, compatible): commission, status,
 * wait, retire. Authentication is applied by the caller of this factory.
 */
export function usersRouter({ config, authorizer, orders, waiter }: UsersRouterDependencies): Router<State> {
  const router = new Router<State>({ prefix: "/moneypenny/users" });
  const dossiers = dossierSchema(config.identity);
  const username = nameSchema(config.identity);
  const statusPath = (name: string) => `/moneypenny/users/${encodeURIComponent(name)}`;
  const redirect = (ctx: Context, status: 303 | 307, name: string) => {
    ctx.status = status;
    ctx.set("Location", absoluteUrl(ctx, statusPath(name)));
    ctx.body = { location: statusPath(name) };
  };

  router.post("/", async (ctx) => {
    const dossier = validate(dossiers, await readJsonBody(ctx, config.maxBodyBytes));
    ctx.state.audit.username = dossier.username;
    ctx.state.audit.scope = authorizer.commission(ctx.state.token, dossier).scope;
    await orders.commission(dossier, ctx.state.requestId);
    redirect(ctx, 303, dossier.username);
  });

  router.get("/:username", async (ctx) => {
    const name = validate(username, ctx.params["username"], "username");
    ctx.state.audit.username = name;
    ctx.state.audit.scope = authorizer.readUser(ctx.state.token, name).scope;
    ctx.body = userStatusView(await orders.status(name));
  });

  router.get("/:username/wait", async (ctx) => {
    const name = validate(username, ctx.params["username"], "username");
    ctx.state.audit.username = name;
    ctx.state.audit.scope = authorizer.readUser(ctx.state.token, name).scope;
    const { timeout } = validate(waitQuery, ctx.query);
    const seconds = Math.min(timeout ?? config.waitTimeoutSeconds, config.waitTimeoutSeconds);
    // Stop waiting when the client goes away.
    const gone = new AbortController();
    ctx.req.once("close", () => gone.abort());
    ctx.state.log.debug({ username: name, seconds }, "waiting for the order to settle");
    const outcome = await waiter.waitUntilSettled(name, seconds * 1000, gone.signal);
    ctx.state.log.debug({ username: name, outcome }, "wait over");
    if (outcome === "unknown") throw new UnknownUserError(name);
    redirect(ctx, 307, name);
  });

  router.post("/:username/retire", async (ctx) => {
    const name = validate(username, ctx.params["username"], "username");
    ctx.state.audit.username = name;
    ctx.state.audit.scope = authorizer.provision(ctx.state.token).scope;
    const body = await readJsonBody(ctx, config.maxBodyBytes, true);
    if (body !== undefined) {
      // The old API took the dossier here; accept it, but it must name this user.
      const dossier = validate(dossiers, body);
      if (dossier.username !== name) {
        throw new HttpError(422, "invalid_field", `username: the body names ${dossier.username}, the path ${name}`, "username");
      }
    }
    await orders.retire(name, ctx.state.requestId);
    redirect(ctx, 303, name);
  });

  return router;
}
