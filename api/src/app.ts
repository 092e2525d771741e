import Koa from "koa";
import type { ApiConfig, Logger } from "@moneypenny/shared";
import { authenticate } from "./auth/authenticate.js";
import { Authorizer } from "./auth/authorizer.js";
import { FailureLimiter } from "./auth/failureLimiter.js";
import type { TokenVerifier } from "./auth/tokenVerifier.js";
import { errorHandler } from "./http/errorHandler.js";
import { requestContext } from "./http/requestContext.js";
import { serviceInfoRouter } from "./routes/serviceInfo.js";
import { usersRouter } from "./routes/users.js";
import type { OrderService } from "./services/orderService.js";
import type { OrderWaiter } from "./services/orderWaiter.js";

export interface AppDependencies {
  config: ApiConfig;
  log: Logger;
  verifier: TokenVerifier;
  orders: OrderService;
  waiter: OrderWaiter;
}

/** The Koa application: composition only; the work is in the routers and services. */
export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  // Only behind a trusted proxy may X-Forwarded-* decide the scheme and host of redirects.
  app.proxy = deps.config.trustProxy;
  app.use(requestContext(deps.log));
  app.use(errorHandler(deps.log));

  const info = serviceInfoRouter();
  app.use(info.routes()).use(info.allowedMethods());

  const { auth } = deps.config;
  const users = usersRouter({ ...deps, authorizer: new Authorizer(auth) });
  const authenticated = authenticate(deps.verifier, new FailureLimiter(auth.failureLimit, auth.failureWindowSeconds * 1000));
  // Authentication runs only for requests that match one of these routes, so
  // unknown paths still answer 404 and wrong methods 405.
  app.use(async (ctx, next) => {
    const matched = users.match(ctx.path, ctx.method);
    if (!matched.route) return next();
    // Known before authentication, so that refused requests are audited by route too.
    ctx.state.audit.route = matched.pathAndMethod.at(-1)?.path;
    return authenticated(ctx, next);
  });
  app.use(users.routes()).use(users.allowedMethods());
  return app;
}
