import test from "ava";
import { Deployment } from "../helpers/deployment.js";
import { RedisServer } from "../helpers/redisServer.js";
import { dossierSchema, loadApiConfig } from "@moneypenny/shared";
import { retryAllBody } from "../../api/src/routes/jobs.js";

test("GET /moneypenny/openapi.json: OpenAPI 3.1 with every route the API answers, and examples its own schemas accept", async (t) => {
  const redis = await RedisServer.start();
  t.teardown(() => redis.stop());
  const mp = await Deployment.start(redis, { worker: false });
  t.teardown(() => mp.stop());
  const response = await mp.request("GET", "/moneypenny/openapi.json", { token: null });
  t.is(response.status, 200);
  const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, { security: unknown[]; requestBody?: { content: { "application/json": { example?: unknown; schema: unknown } } } }>>; components: { securitySchemes: Record<string, unknown> } };
  t.is(document.openapi, "3.1.0");
  t.truthy(document.components.securitySchemes["bearer"]);

  // Every route: probe each documented one, and every path/method the routers register.
  const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
  const registered = new Set(mp.api.routes);
  t.true(registered.size >= 15, `${registered.size} routes`);
  const normalized = new Set(documented.map((entry) => entry.replace(/(.)\/$/, "$1")));
  t.deepEqual([...normalized].sort(), [...registered].sort(), "every registered route is documented, and nothing else");
  // A documented route that the API does not serve would answer 404 not_found (405 is fine: it exists).
  for (const entry of documented) {
    const [method, path] = entry.split(" ") as [string, string];
    const concrete = path.replace("{username}", "nobody").replace("{id}", "nothing-1");
    const answer = await mp.request(method, concrete, { headers: { origin: mp.api.url, accept: "application/json" } });
    const body = answer.headers.get("content-type")?.includes("json") ? ((await answer.json()) as { error?: { code?: string } }) : {};
    t.not(body.error?.code, "not_found", `${entry} is served`);
  }

  const config = loadApiConfig(mp.env);
  const example = (path: string) => document.paths[path]!["post"]!.requestBody!.content["application/json"].example;
  t.true(dossierSchema(config.identity).safeParse(example("/moneypenny/users")).success);
  t.true(retryAllBody.safeParse(example("/moneypenny/jobs/retry")).success);
  t.like(document.paths["/moneypenny/users"]!["post"]!.requestBody!.content["application/json"].schema, { required: ["username", "uid", "groups"], additionalProperties: false });
  t.deepEqual(document.paths["/healthz"]!["get"]!.security, []);
  t.deepEqual(document.paths["/moneypenny/users"]!["post"]!.security, [{ bearer: [] }]);
});
