import type { Context } from "koa";
import { HttpError } from "./httpError.js";

/**
 * Reads a JSON request body, refusing (before anything else happens) a body
 * that is not JSON (415), too large (413) or not parseable (400).
 * Answers undefined when there is no body and `optional` is set.
 */
export async function readJsonBody(ctx: Context, maxBytes: number, optional = false): Promise<unknown> {
  const length = ctx.get("content-length");
  const hasBody = (length !== "" && length !== "0") || ctx.get("transfer-encoding") !== "";
  if (!hasBody) {
    if (optional) return undefined;
    if (ctx.is("application/json", "+json")) throw new HttpError(400, "invalid_json", "the body is empty; send the JSON document", "body");
    throw new HttpError(415, "unsupported_media_type", "a JSON body is required (Content-Type: application/json)", "body");
  }
  if (!ctx.is("application/json", "+json")) {
    throw new HttpError(415, "unsupported_media_type", `the body must be JSON (Content-Type: application/json), not ${ctx.get("content-type") || "untyped"}`, "body");
  }
  if (length !== "" && Number(length) > maxBytes) throw tooLarge(maxBytes);

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  if (size === 0) throw new HttpError(400, "invalid_json", "the body is empty; send the JSON document", "body");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(400, "invalid_json", "the body is not valid UTF-8", "body");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, "invalid_json", `the body is not valid JSON: ${(error as Error).message}`, "body");
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, "body_too_large", `the body is larger than ${maxBytes} bytes`, "body");
}
