import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Api, Reply } from "./api.js";
import type { Faults } from "./faults.js";
import { parseRoute } from "./routes.js";
import { ApiError, badRequest, failure, type Status } from "./status.js";
import type { Store } from "./store.js";
import { serveWatch } from "./watch.js";

/** One request as the server received it, for a test's assertions. */
export interface RecordedRequest {
  method: string;
  /** Without the query. */
  path: string;
  query: Record<string, string>;
  /** The parsed JSON body; the raw text if it is not JSON; undefined when empty. */
  body: unknown;
}

export interface ServerParts {
  api: Api;
  store: Store;
  faults: Faults;
  token: string;
  requests: RecordedRequest[];
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => (text += chunk));
    request.once("end", () => resolve(text));
    request.once("error", reject);
  });
}

function parseBody(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function reply(response: ServerResponse, { code, body, contentType = "application/json", headers = {} }: Reply): void {
  const text = typeof body === "string" && contentType !== "application/json" ? body : JSON.stringify(body);
  response.writeHead(code, { ...headers, "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}

const replyStatus = (response: ServerResponse, status: Status, headers: Record<string, string> = {}) =>
  reply(response, { code: status.code ?? 200, body: status, headers });

/**
 * One request, in the order the real server takes it (with the fake's
 * faults in front): record it, wait out the configured latency, answer an
 * injected failure, check the bearer token, then route.
 */
async function handle(parts: ServerParts, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const method = request.method ?? "GET";
  const url = new URL(request.url ?? "/", "http://fake-kubernetes");
  const query = Object.fromEntries(url.searchParams);
  const body = parseBody(await readBody(request));
  parts.requests.push({ method, path: url.pathname, query, body });
  if (parts.faults.apiLatencyMs > 0) await sleep(parts.faults.apiLatencyMs);
  const fault = parts.faults.take(method, url.pathname);
  if (fault) return replyStatus(response, fault.status, fault.headers);
  if (request.headers.authorization !== `Bearer ${parts.token}`) return replyStatus(response, failure(401, "Unauthorized"));
  try {
    const route = parseRoute(url.pathname);
    if (!route) throw new ApiError(failure(404, "the server could not find the requested resource", "NotFound", {}));
    if (query["dryRun"] !== undefined) throw badRequest("FakeKubernetes does not implement dryRun");
    const watch = query["watch"] === "true" || query["watch"] === "1";
    if (watch && method === "GET" && route.name === undefined) return serveWatch(response, parts.store, parts.faults, route, query);
    reply(response, parts.api.handle(method, route, query, body));
  } catch (error) {
    if (error instanceof ApiError) return replyStatus(response, error.status, error.headers);
    // A bug in the fake: answer it as the real server answers a panic, and say it loudly.
    process.emitWarning(`FakeKubernetes: ${method} ${url.pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    replyStatus(response, failure(500, `Internal error occurred: ${String(error)}`));
  }
}

export async function startServer(parts: ServerParts, tls?: { key: string; cert: string }): Promise<{ server: Server; url: string }> {
  const handler = (request: IncomingMessage, response: ServerResponse) => {
    handle(parts, request, response).catch((error: unknown) => {
      process.emitWarning(`FakeKubernetes: ${String(error)}`);
      if (!response.headersSent) replyStatus(response, failure(500, `Internal error occurred: ${String(error)}`));
      else response.destroy();
    });
  };
  const server: Server = tls ? createHttpsServer(tls, handler) : createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { server, url: `${tls ? "https" : "http"}://127.0.0.1:${port}` };
}
