/**
 * An error with an HTTP status, answered as
 * `{"error": {"code", "message", "field"?}}`. `code` is a stable word a client
 * can branch on; `message` is for people; `field` names the input at fault.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

export function errorBody(error: HttpError): ErrorBody {
  return { error: { code: error.code, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) } };
}
