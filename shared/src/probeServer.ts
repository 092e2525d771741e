import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** A readiness check: undefined when fine, else why not. */
export type ReadinessCheck = () => Promise<string | undefined>;

export interface ProbeServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The probes of a process without an HTTP API of its own (the worker):
 * `/healthz` (the process runs), `/readyz` (every check passes; 503 naming the
 * failing ones) and `/metrics` (Prometheus text format).
 */
export async function startProbeServer(port: number, host: string, checks: Record<string, ReadinessCheck>, registry: Registry): Promise<ProbeServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const answer = (status: number, body: unknown) => {
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (request.method !== "GET") return answer(405, { error: { code: "method_not_allowed", message: `${request.method} is not allowed` } });
    if (path === "/healthz") return answer(200, { status: "ok" });
    if (path === "/readyz") {
      void runChecks(checks).then((failures) =>
        failures.length === 0
          ? answer(200, { status: "ready", checks: Object.fromEntries(Object.keys(checks).map((name) => [name, "ok"])) })
          : answer(503, { error: { code: "not_ready", message: failures.join("; ") } }),
      );
      return;
    }
    if (path === "/metrics") {
      void registry.metrics().then(
        (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
        (error: unknown) => answer(500, { error: { code: "metrics_failed", message: error instanceof Error ? error.message : String(error) } }),
      );
      return;
    }
    answer(404, { error: { code: "not_found", message: `no route ${path}` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function runChecks(checks: Record<string, ReadinessCheck>): Promise<string[]> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      const failure = await check().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
      return failure === undefined ? undefined : `${name}: ${failure}`;
    }),
  );
  return results.filter((r): r is string => r !== undefined);
}
