import { qualifiedName, resources, type Resource } from "./objects.js";

/** A metav1.Status, the body of every error answer (and of some deletions). */
export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  /** Absent on a Success, as the real server omits it there. */
  code?: number;
}

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** The reason the real server gives for each code it answers with. */
const reasons: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Expired",
  422: "Invalid",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** Thrown anywhere in request handling; the server answers it as its Status. */
export class ApiError extends Error {
  constructor(
    readonly status: Status,
    readonly headers: Record<string, string> = {},
  ) {
    super(status.message);
  }
}

export function failure(code: number, message: string, reason = reasons[code] ?? "Unknown", details?: Status["details"]): Status {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}

function resourceDetails(resource: Resource, name: string): NonNullable<Status["details"]> {
  const group = resources[resource].group;
  return { name, ...(group ? { group } : {}), kind: resource };
}

export function notFound(resource: Resource, name: string): ApiError {
  return new ApiError(failure(404, `${qualifiedName(resource)} "${name}" not found`, "NotFound", resourceDetails(resource, name)));
}

export function alreadyExists(resource: Resource, name: string): ApiError {
  return new ApiError(failure(409, `${qualifiedName(resource)} "${name}" already exists`, "AlreadyExists", resourceDetails(resource, name)));
}

export function badRequest(message: string): ApiError {
  return new ApiError(failure(400, message));
}

/** 422, with one cause per invalid field, worded as the real validation words them. */
export function invalid(resource: Resource, name: string, causes: StatusCause[]): ApiError {
  const { kind, group } = resources[resource];
  const message = `${kind}${group ? `.${group}` : ""} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(", ")}`;
  return new ApiError(failure(422, message, "Invalid", { name, ...(group ? { group } : {}), kind, causes }));
}

/** The answer to a deletion that removed the object at once (resources without ReturnDeletedObject). */
export function deleted(resource: Resource, name: string, uid: string): Status {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { ...resourceDetails(resource, name), uid } };
}
