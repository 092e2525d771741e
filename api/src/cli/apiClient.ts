/** A failed call: the API's own error message, and the HTTP status. */
export class ApiCallError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = "ApiCallError";
  }
}

export type UserStatus = Record<string, unknown> & { username: string; status: string; error?: string };

const IN_PROGRESS = new Set(["commissioning", "retiring"]);

/** The Moneypenny API as the command line uses it (the spawner's flow, plus queue operations). */
export class ApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string | undefined,
  ) {}

  user(username: string): Promise<UserStatus> {
    return this.#json("GET", `/moneypenny/users/${encodeURIComponent(username)}`) as Promise<UserStatus>;
  }

  /** Posts the dossier; answers the status the 303 points to. */
  async commission(dossier: Record<string, unknown>): Promise<UserStatus> {
    await this.#call("POST", "/moneypenny/users", dossier);
    return this.user(String(dossier["username"]));
  }

  async retire(username: string): Promise<UserStatus | undefined> {
    await this.#call("POST", `/moneypenny/users/${encodeURIComponent(username)}/retire`);
    return this.user(username).catch((error: unknown) => {
      if (error instanceof ApiCallError && error.status === 404) return undefined; // already retired and forgotten
      throw error;
    });
  }

  /** Long-polls until no order is in progress; `onPoll` sees each status on the way. Undefined once the user is forgotten. */
  async waitUntilSettled(username: string, onPoll: (status: UserStatus) => void): Promise<UserStatus | undefined> {
    for (;;) {
      let status: UserStatus;
      try {
        status = await this.user(username);
      } catch (error) {
        if (error instanceof ApiCallError && error.status === 404) return undefined;
        throw error;
      }
      onPoll(status);
      if (!IN_PROGRESS.has(status.status)) return status;
      try {
        await this.#call("GET", `/moneypenny/users/${encodeURIComponent(username)}/wait?timeout=60`);
      } catch (error) {
        // Retired and forgotten between the two calls.
        if (error instanceof ApiCallError && error.status === 404) return undefined;
        throw error;
      }
    }
  }

  jobs(query: Record<string, string | undefined>): Promise<{ jobs: Record<string, unknown>[]; next_cursor?: string }> {
    const params = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
    return this.#json("GET", `/moneypenny/jobs?${params}`) as Promise<{ jobs: Record<string, unknown>[] }>;
  }

  job(id: string): Promise<Record<string, unknown>> {
    return this.#json("GET", `/moneypenny/jobs/${encodeURIComponent(id)}`) as Promise<Record<string, unknown>>;
  }

  retryJob(id: string): Promise<{ retried: number }> {
    return this.#json("POST", `/moneypenny/jobs/${encodeURIComponent(id)}/retry`) as Promise<{ retried: number }>;
  }

  retryFailed(order: string | undefined, olderThan: string | undefined): Promise<{ retried: number }> {
    return this.#json("POST", "/moneypenny/jobs/retry", { state: "failed", ...(order ? { order } : {}), ...(olderThan ? { olderThan } : {}) }) as Promise<{ retried: number }>;
  }

  async #json(method: string, path: string, body?: unknown): Promise<unknown> {
    return (await this.#call(method, path, body)).json() as Promise<unknown>;
  }

  async #call(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.token) headers["authorization"] = `Bearer ${this.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: "manual" });
    } catch (error) {
      throw new ApiCallError(`cannot reach Moneypenny at ${this.baseUrl} (MONEYPENNY_URL): ${(error as Error).message}`, 0);
    }
    if (response.status >= 400) {
      const text = await response.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new ApiCallError(`${response.status}: ${message}`, response.status);
    }
    return response;
  }
}
