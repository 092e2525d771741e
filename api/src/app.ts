import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import Koa from "koa";
import type { ApiConfig, Logger, OrderJobData, OrderJobReturn } from "@moneypenny/shared";
import { authenticate } from "./auth/authenticate.js";
import { Authorizer } from "./auth/authorizer.js";
import { FailureLimiter } from "./auth/failureLimiter.js";
import { operatorGuard } from "./auth/operatorGuard.js";
import type { TokenVerifier } from "./auth/tokenVerifier.js";
import { dashboard, DASHBOARD_PATH, isAllowedDashboardAction } from "./dashboard/dashboard.js";
import { errorHandler } from "./http/errorHandler.js";
import { HttpError } from "./http/httpError.js";
import { requestContext } from "./http/requestContext.js";
import { healthRouter } from "./routes/health.js";
import { ApiMetrics } from "./metrics/apiMetrics.js";
import { jobsRouter } from "./routes/jobs.js";
import { operatorLoginRouter } from "./routes/operatorLogin.js";
import { serviceInfoRouter } from "./routes/serviceInfo.js";
import { usersRouter } from "./routes/users.js";
import { JobService } from "./services/jobService.js";
import type { OrderService } from "./services/orderService.js";
import type { OrderWaiter } from "./services/orderWaiter.js";

export interface AppDependencies {
  config: ApiConfig;
  log: Logger;
  verifier: TokenVerifier;
  orders: OrderService;
  waiter: OrderWaiter;
  queue: Queue<OrderJobData, OrderJobReturn>;
  /** The API's request connection, for the readiness probe. */
  redis: Redis;
}

const registered = new WeakMap<Koa, string[]>();

/** Every `METHOD /path` an application's routers serve (the dashboard's own routes aside), for its OpenAPI check. */
export function routesOf(app: Koa): string[] {
  return registered.get(app) ?? [];
}

/** The Koa application: composition only; the work is in the routers and services. */
export function createApp(deps: AppDependencies): Koa {
  const app = new Koa();
  // Only behind a trusted proxy may X-Forwarded-* decide the scheme and host of redirects.
  app.proxy = deps.config.trustProxy;
  // Behind one proxy: the client is the address that proxy appended, not whatever the client wrote before it.
  app.maxIpsCount = 1;
  const metrics = new ApiMetrics(deps.queue);
  app.use(requestContext(deps.log));
  app.use(metrics.middleware());
  app.use(errorHandler(deps.log));

  const health = healthRouter(deps.redis, metrics.registry);
  app.use(health.routes()).use(health.allowedMethods());

  const info = serviceInfoRouter(deps.config);
  app.use(info.routes()).use(info.allowedMethods());

  const { auth } = deps.config;
  const authorizer = new Authorizer(auth);
  const limiter = new FailureLimiter(auth.failureLimit, auth.failureWindowSeconds * 1000);
  const users = usersRouter({ ...deps, authorizer });
  const authenticated = authenticate(deps.verifier, limiter);

  // The operators' pages: the login form, and the dashboard behind its guard.
  const login = operatorLoginRouter(deps.verifier, authorizer, limiter);
  app.use(login.routes()).use(login.allowedMethods());
  const guard = operatorGuard(deps.verifier, authorizer, limiter);
  const board = dashboard(deps.queue);
  app.use(async (ctx, next) => {
    if (ctx.path !== DASHBOARD_PATH && !ctx.path.startsWith(`${DASHBOARD_PATH}/`)) return next();
    ctx.state.audit.route = DASHBOARD_PATH;
    return guard(ctx, async () => {
      if (!isAllowedDashboardAction(ctx.method, ctx.path)) {
        throw new HttpError(403, "use_the_api", "the dashboard may retry, promote and clean jobs and pause the queue; orders are made through the Moneypenny API");
      }
      await board(ctx, next);
    });
  });

  // Authentication runs only for requests that match one of these routes, so
  // unknown paths still answer 404 and wrong methods 405.
  const jobs = jobsRouter(new JobService(deps.queue), authorizer, deps.config.maxBodyBytes);
  app.use(async (ctx, next) => {
    const matched = [users, jobs].map((router) => router.match(ctx.path, ctx.method)).find((m) => m.route);
    if (matched === undefined) return next();
    // Known before authentication, so that refused requests are audited by route too.
    ctx.state.audit.route = matched.pathAndMethod.at(-1)?.path;
    return authenticated(ctx, next);
  });
  app.use(users.routes()).use(users.allowedMethods());
  app.use(jobs.routes()).use(jobs.allowedMethods());
  registered.set(
    app,
    [health, info, login, users, jobs].flatMap((router) =>
      router.stack.flatMap((layer) => layer.methods.filter((m) => m !== "HEAD").map((m) => `${m} ${String(layer.path).replace(/:(\w+)/g, "{$1}").replace(/(.)\/$/, "$1")}`)),
    ),
  );
  return app;
}
