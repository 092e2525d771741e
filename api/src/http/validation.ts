import type { z } from "zod";
import { HttpError } from "./httpError.js";

/** Parses input with a zod schema; the first problem becomes a 422 naming its field. */
export function validate<T extends z.ZodType>(schema: T, input: unknown, fieldPrefix?: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  // An unknown key is reported at its parent; name the key itself.
  const unknownKey = issue?.code === "unrecognized_keys" ? issue.keys[0] : undefined;
  const field = [fieldPrefix, ...(issue?.path ?? []), unknownKey].filter((part) => part !== undefined && part !== "").join(".") || "body";
  const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem${result.error.issues.length > 2 ? "s" : ""})` : "";
  throw new HttpError(422, "invalid_field", `${field}: ${issue?.message ?? "invalid"}${more}`, field);
}
