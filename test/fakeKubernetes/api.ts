import { admitConfigMap, admitJob } from "./admission.js";
import type { GarbageCollector, PropagationPolicy } from "./garbageCollector.js";
import type { Kubelet } from "./kubelet.js";
import { podLog } from "./logs.js";
import { isRecord, resources, type Resource } from "./objects.js";
import type { Route } from "./routes.js";
import { fieldSelector, labelSelector } from "./selectors.js";
import { alreadyExists, ApiError, badRequest, failure, notFound } from "./status.js";
import type { Store } from "./store.js";

/** An answer other than a watch stream. */
export interface Reply {
  code: number;
  body: unknown;
  /** application/json unless said otherwise. */
  contentType?: string;
  headers?: Record<string, string>;
}

const jobOrphanWarning =
  '299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"';

const methodNotAllowed = () => new ApiError(failure(405, "the server does not allow this method on the requested resource", "MethodNotAllowed", {}));

const policies: readonly string[] = ["Orphan", "Background", "Foreground"];

/**
 * The verbs of the REST API, on the fake's store: list, get (and get of the
 * status subresource), create, delete, and pod logs. Watches are served by
 * watch.ts, since they stream. Creating or deleting pods directly, and PUT
 * and PATCH of anything, answer 405 here although the real server allows
 * them: the executor has no business doing them.
 */
export class Api {
  constructor(
    private readonly store: Store,
    private readonly kubelet: Kubelet,
    private readonly gc: GarbageCollector,
    private readonly namespace: string,
  ) {}

  handle(method: string, route: Route, query: Record<string, string>, body: unknown): Reply {
    const { resource, namespace, name, subresource } = route;
    if (name === undefined) {
      if (method === "GET") return this.#list(resource, namespace, query);
      if (method === "POST" && resource !== "pods") return this.#create(resource, namespace, body);
    } else if (subresource === "log") {
      if (method === "GET") return { code: 200, body: podLog(this.store, this.kubelet, namespace, name, query), contentType: "text/plain" };
    } else if (method === "GET") {
      const object = this.store.get(resource, namespace, name);
      if (!object) throw notFound(resource, name);
      return { code: 200, body: object };
    } else if (method === "DELETE" && subresource === undefined && resource !== "pods") {
      return this.#delete(resource, namespace, name, query, body);
    }
    throw methodNotAllowed();
  }

  #list(resource: Resource, namespace: string, query: Record<string, string>): Reply {
    const labels = labelSelector(query["labelSelector"]);
    const fields = fieldSelector(query["fieldSelector"]);
    const { apiVersion, listKind } = resources[resource];
    // Items of a list carry no kind and apiVersion; the list says them once.
    const items = this.store
      .list(resource, namespace)
      .filter((o) => labels(o) && fields(o))
      .map(({ kind: _kind, apiVersion: _apiVersion, ...rest }) => rest);
    return { code: 200, body: { kind: listKind, apiVersion, metadata: { resourceVersion: String(this.store.revision) }, items } };
  }

  #create(resource: "jobs" | "configmaps", namespace: string, body: unknown): Reply {
    if (namespace !== this.namespace) {
      throw new ApiError(failure(404, `namespaces "${namespace}" not found`, "NotFound", { name: namespace, kind: "namespaces" }));
    }
    if (!isRecord(body)) throw badRequest("the body of the request was in an unknown format - accepted media types include: application/json");
    if (resource === "jobs") {
      const job = admitJob(body, namespace);
      this.#mustBeFree(resource, namespace, job.metadata.name);
      return { code: 201, body: this.store.create(resource, job) };
    }
    const configMap = admitConfigMap(body, namespace);
    this.#mustBeFree(resource, namespace, configMap.metadata.name);
    return { code: 201, body: this.store.create(resource, configMap) };
  }

  #mustBeFree(resource: Resource, namespace: string, name: string): void {
    if (this.store.get(resource, namespace, name)) throw alreadyExists(resource, name);
  }

  #delete(resource: "jobs" | "configmaps", namespace: string, name: string, query: Record<string, string>, body: unknown): Reply {
    // DeleteOptions come in the body or in the query.
    const options = isRecord(body) ? body : {};
    const requested = options["propagationPolicy"] ?? query["propagationPolicy"];
    const orphanDependents = options["orphanDependents"] ?? (query["orphanDependents"] === undefined ? undefined : query["orphanDependents"] === "true");
    let policy: PropagationPolicy;
    const headers: Record<string, string> = {};
    if (requested !== undefined) {
      if (typeof requested !== "string" || !policies.includes(requested)) {
        throw new ApiError(failure(422, `propagationPolicy: Unsupported value: ${JSON.stringify(requested)}: supported values: "Foreground", "Background", "Orphan"`, "Invalid"));
      }
      policy = requested as PropagationPolicy;
    } else if (orphanDependents !== undefined) {
      policy = orphanDependents === true ? "Orphan" : "Background";
    } else if (resource === "jobs") {
      // batch/v1 Jobs orphan their pods unless told otherwise, and the server warns about it.
      policy = "Orphan";
      headers["Warning"] = jobOrphanWarning;
    } else {
      policy = "Background";
    }
    return { code: 200, body: this.gc.delete(resource, namespace, name, policy), headers };
  }
}
