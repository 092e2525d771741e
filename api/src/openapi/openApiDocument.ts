import { z } from "zod";
import { dossierSchema, ORDERS, USER_STATUSES, type ApiConfig } from "@moneypenny/shared";
import { listQuery, retryAllBody } from "../routes/jobs.js";
import { waitQuery } from "../routes/users.js";

// Response shapes. Requests are described by the very schemas that validate them.
const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }) }).meta({ id: "Error" });
const orderResult = z.object({ username: z.string(), action: z.string(), message: z.string(), path: z.string().optional(), warnings: z.array(z.string()) });
const group = z.object({ name: z.string(), id: z.number().int() });
const userStatus = z
  .object({
    username: z.string(),
    status: z.enum(USER_STATUSES),
    last_changed: z.iso.datetime(),
    uid: z.number().int(),
    gid: z.number().int(),
    groups: z.array(group),
    job_id: z.string(),
    error: z.string().optional(),
    result: orderResult.optional(),
  })
  .meta({ id: "UserStatus" });
const jobSummary = z.object({
  id: z.string(),
  order: z.enum(ORDERS),
  username: z.string(),
  state: z.string(),
  attempts: z.number().int(),
  failed_reason: z.string().optional(),
  created_at: z.iso.datetime(),
  processed_at: z.iso.datetime().optional(),
  finished_at: z.iso.datetime().optional(),
});
const jobDetail = jobSummary.extend({
  dossier: z.object({ username: z.string(), uid: z.number().int(), gid: z.number().int(), groups: z.array(group) }),
  request_id: z.string().optional(),
  stacktrace: z.array(z.string()),
  logs: z.array(z.string()),
  result: z.unknown().optional(),
});
const serviceInfo = z.object({ name: z.string(), version: z.string(), description: z.string() });

export interface DocumentedOperation {
  method: "get" | "post";
  /** OpenAPI style: /moneypenny/users/{username} */
  path: string;
  summary: string;
  authenticated: boolean;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** An example body that the schema accepts. */
  example?: unknown;
  responses: Record<string, { description: string; schema?: z.ZodType; html?: boolean; text?: boolean }>;
}

const refused = {
  "401": { description: "no valid token", schema: errorSchema },
  "429": { description: "too many failed authentications from this client", schema: errorSchema },
  "403": { description: "the token may not do this", schema: errorSchema },
  "503": { description: "Redis or the signing keys cannot be reached", schema: errorSchema },
};

/** Every route the API serves, documented. A test checks none is missing. */
export function documentedOperations(config: ApiConfig): DocumentedOperation[] {
  return [
    { method: "get", path: "/moneypenny/", summary: "Name and version", authenticated: false, responses: { "200": { description: "the service", schema: serviceInfo } } },
    { method: "get", path: "/moneypenny", summary: "Name and version", authenticated: false, responses: { "200": { description: "the service", schema: serviceInfo } } },
    {
      method: "post",
      path: "/moneypenny/users",
      summary: "Commission a user (create the home directory)",
      authenticated: true,
      body: dossierSchema(config.identity),
      example: { username: "alice", uid: 2001, gid: 2001, groups: [{ name: "science", id: 3000 }] },
      responses: {
        "303": { description: "to the user's status (the order is recorded before this answer)" },
        "400": { description: "not JSON", schema: errorSchema },
        "409": { description: "another order for the user is in progress", schema: errorSchema },
        "413": { description: "body too large", schema: errorSchema },
        "415": { description: "not application/json", schema: errorSchema },
        "422": { description: "a field is invalid; `field` names it", schema: errorSchema },
        ...refused,
      },
    },
    { method: "get", path: "/moneypenny/users/{username}", summary: "A user's status", authenticated: true, responses: { "200": { description: "the status", schema: userStatus }, "404": { description: "unknown user", schema: errorSchema }, "422": { description: "not a valid username", schema: errorSchema }, ...refused } },
    {
      method: "get",
      path: "/moneypenny/users/{username}/wait",
      summary: "Long poll until no order is in progress (or the time-out)",
      authenticated: true,
      query: waitQuery,
      responses: { "307": { description: "to the user's status" }, "404": { description: "unknown user", schema: errorSchema }, ...refused },
    },
    {
      method: "post",
      path: "/moneypenny/users/{username}/retire",
      summary: "Retire a user (archive the home directory); no body, or the user's dossier",
      authenticated: true,
      responses: { "303": { description: "to the user's status" }, "404": { description: "unknown user", schema: errorSchema }, "409": { description: "a commission is in progress", schema: errorSchema }, ...refused },
    },
    {
      method: "get",
      path: "/moneypenny/jobs",
      summary: "A page of the queue's jobs (operations scope)",
      authenticated: true,
      query: listQuery,
      responses: { "200": { description: "jobs, and the cursor of the next page", schema: z.object({ jobs: z.array(jobSummary), next_cursor: z.string().optional() }) }, "422": { description: "bad query", schema: errorSchema }, ...refused },
    },
    {
      method: "post",
      path: "/moneypenny/jobs/retry",
      summary: "Retry every failed job (of one order, failed before a time)",
      authenticated: true,
      body: retryAllBody,
      example: { state: "failed", order: "commission", olderThan: "2026-12-01T00:00:00Z" },
      responses: {
        "200": { description: "how many", schema: z.object({ retried: z.number().int() }) },
        "400": { description: "not JSON", schema: errorSchema },
        "413": { description: "body too large", schema: errorSchema },
        "415": { description: "not application/json", schema: errorSchema },
        "422": { description: "bad body", schema: errorSchema },
        ...refused,
      },
    },
    { method: "get", path: "/moneypenny/jobs/{id}", summary: "A job in full", authenticated: true, responses: { "200": { description: "the job", schema: jobDetail }, "404": { description: "unknown job", schema: errorSchema }, "422": { description: "not a job id", schema: errorSchema }, ...refused } },
    {
      method: "post",
      path: "/moneypenny/jobs/{id}/retry",
      summary: "Retry one failed job",
      authenticated: true,
      responses: { "202": { description: "retried", schema: z.object({ retried: z.number().int() }) }, "404": { description: "unknown job", schema: errorSchema }, "409": { description: "the job has not failed", schema: errorSchema }, "422": { description: "not a job id", schema: errorSchema }, ...refused },
    },
    { method: "get", path: "/moneypenny/openapi.json", summary: "This document", authenticated: false, responses: { "200": { description: "OpenAPI 3.1" } } },
    { method: "get", path: "/moneypenny/admin/login", summary: "The operators' login form", authenticated: false, responses: { "200": { description: "an HTML form", html: true } } },
    { method: "post", path: "/moneypenny/admin/login", summary: "Log in with a token (form field `token`); sets the session cookie", authenticated: false, responses: { "303": { description: "to the dashboard" }, "401": { description: "the token was refused", html: true }, "403": { description: "not from this site", schema: errorSchema } } },
    { method: "post", path: "/moneypenny/admin/logout", summary: "End the dashboard session", authenticated: false, responses: { "303": { description: "to the login form" }, "403": { description: "not from this site", schema: errorSchema } } },
    { method: "get", path: "/healthz", summary: "The process serves", authenticated: false, responses: { "200": { description: "ok" } } },
    { method: "get", path: "/readyz", summary: "Redis answers", authenticated: false, responses: { "200": { description: "ready" }, "503": { description: "not ready; the message names the failing check", schema: errorSchema } } },
    { method: "get", path: "/metrics", summary: "Prometheus metrics", authenticated: false, responses: { "200": { description: "text format", text: true } } },
  ];
}

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" });

/** The OpenAPI 3.1 document of the API, generated from the schemas above and those that validate requests. */
export function openApiDocument(config: ApiConfig, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of documentedOperations(config)) {
    const parameters = [
      ...[...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } })),
      ...Object.entries(op.query?.shape ?? {}).map(([name, schema]) => ({ name, in: "query", required: false, schema: jsonSchema(schema as z.ZodType) })),
    ];
    const responses = Object.fromEntries(
      Object.entries(op.responses).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.schema ? { content: { "application/json": { schema: jsonSchema(r.schema) } } } : {}),
          ...(r.html ? { content: { "text/html": {} } } : {}),
          ...(r.text ? { content: { "text/plain": {} } } : {}),
        },
      ]),
    );
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(op.body), ...(op.example === undefined ? {} : { example: op.example }) } } } } : {}),
      responses,
      security: op.authenticated ? [{ bearer: [] }] : [],
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Moneypenny", version, description: "Privileged actions, such as creating home directories, on behalf of science-platform users" },
    paths,
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A JWT with the scope the route needs (see the README's Authentication)" } } },
  };
}
