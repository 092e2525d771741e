import { isRecord } from "./objects.js";
import { badRequest } from "./status.js";

/**
 * Type checks for a request body, field by field. A body whose fields have the
 * wrong JSON types cannot be decoded into the Go structs, so the real server
 * answers 400 BadRequest, as these do; checking only the fields the fake reads
 * keeps the fake from crashing on what the real server would refuse.
 */
export class Decoder {
  constructor(private readonly kind: string) {}

  fail(field: string, expected: string, value: unknown): never {
    const got = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
    throw badRequest(`${this.kind} in version "v1" cannot be handled as a ${this.kind}: json: cannot unmarshal ${got} into Go struct field ${field} of type ${expected}`);
  }

  record(value: unknown, field: string): Record<string, unknown> {
    return isRecord(value) ? value : this.fail(field, "object", value);
  }

  optionalRecord(value: unknown, field: string): Record<string, unknown> | undefined {
    return value === undefined || value === null ? undefined : this.record(value, field);
  }

  array(value: unknown, field: string): unknown[] {
    return Array.isArray(value) ? value : this.fail(field, "array", value);
  }

  optionalArray(value: unknown, field: string): unknown[] | undefined {
    return value === undefined || value === null ? undefined : this.array(value, field);
  }

  string(value: unknown, field: string): string {
    return typeof value === "string" ? value : this.fail(field, "string", value);
  }

  optionalString(value: unknown, field: string): string | undefined {
    return value === undefined || value === null ? undefined : this.string(value, field);
  }

  optionalInteger(value: unknown, field: string): number | undefined {
    if (value === undefined || value === null) return undefined;
    return typeof value === "number" && Number.isInteger(value) ? value : this.fail(field, "integer", value);
  }

  optionalBoolean(value: unknown, field: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    return typeof value === "boolean" ? value : this.fail(field, "bool", value);
  }

  optionalStrings(value: unknown, field: string): string[] | undefined {
    return this.optionalArray(value, field)?.map((v, i) => this.string(v, `${field}[${i}]`));
  }

  optionalStringMap(value: unknown, field: string): Record<string, string> | undefined {
    const record = this.optionalRecord(value, field);
    if (record) for (const [k, v] of Object.entries(record)) this.string(v, `${field}.${k}`);
    return record as Record<string, string> | undefined;
  }
}
