import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Queue } from "bullmq";
import { connectRedis, QUEUE_NAME, UserRecordStore, type ApiConfig, type Logger, type OrderJobData, type OrderJobReturn } from "@moneypenny/shared";
import { createApp, routesOf } from "./app.js";
import { JwtVerifier } from "./auth/jwtVerifier.js";
import { OrderService } from "./services/orderService.js";
import { OrderWaiter } from "./services/orderWaiter.js";

export interface ApiServer {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** The long polls, for observing them. */
  waiter: OrderWaiter;
  /** Every `METHOD /path` the API serves. */
  routes: string[];
  /** Stops accepting, answers pending long polls, closes Redis. */
  close(): Promise<void>;
}

/** Wires the API's connections and services together and listens. */
export async function startApiServer(config: ApiConfig, log: Logger): Promise<ApiServer> {
  const verifier = await JwtVerifier.create(config.auth);
  const redis = connectRedis(config.redisUrl, "request", "moneypenny-api", log);
  const subscriber = connectRedis(config.redisUrl, "subscriber", "moneypenny-api-events", log);
  const store = new UserRecordStore(redis, config.queue.prefix);
  const queue = new Queue<OrderJobData, OrderJobReturn>(QUEUE_NAME, { connection: redis, prefix: config.queue.prefix });
  // Connection errors are logged once per outage by connectRedis; BullMQ repeats them here.
  queue.on("error", (error) => log.debug({ err: error }, "queue error"));
  const waiter = OrderWaiter.start(subscriber, store, log);
  const orders = new OrderService(store, queue, config.queue);
  const app = createApp({ config, log, verifier, orders, waiter, queue, redis });

  // Give Redis a moment so that the first requests are not refused, but start
  // without it: until it answers, requests get 503 (and the API can be probed).
  if (redis.status !== "ready") {
    await once(redis, "ready", { signal: AbortSignal.timeout(5000) }).catch(() =>
      log.warn("Redis does not answer yet; starting anyway, answering 503 until it does"),
    );
  }
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  log.info({ port, host: config.host }, "API listening");

  return {
    url: `http://${host}:${port}`,
    waiter,
    routes: routesOf(app),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await waiter.close();
      server.closeIdleConnections();
      await closed;
      await queue.close();
      await redis.quit().catch(() => undefined);
    },
  };
}
