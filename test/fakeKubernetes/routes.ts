import { resources, type Resource } from "./objects.js";

/** A request path the fake serves: a namespaced collection, one object, or one of its subresources. */
export interface Route {
  resource: Resource;
  namespace: string;
  name?: string;
  subresource?: "status" | "log";
}

const pattern = /^(\/api\/v1|\/apis\/batch\/v1)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+)(?:\/([^/]+))?)?\/?$/;

const subresources: Record<Resource, readonly string[]> = { jobs: ["status"], pods: ["status", "log"], configmaps: [] };

const isResource = (name: string): name is Resource => Object.hasOwn(resources, name);

/** Undefined for any path the fake does not know, which the server answers 404 as the real one answers unknown paths. */
export function parseRoute(path: string): Route | undefined {
  const m = pattern.exec(path);
  if (!m) return undefined;
  const [, prefix, namespace = "", resource = "", name, subresource] = m;
  if (!isResource(resource) || resources[resource].prefix !== prefix) return undefined;
  if (subresource !== undefined && !subresources[resource].includes(subresource)) return undefined;
  return {
    resource,
    namespace: decodeURIComponent(namespace),
    ...(name !== undefined ? { name: decodeURIComponent(name) } : {}),
    ...(subresource !== undefined ? { subresource: subresource as "status" | "log" } : {}),
  };
}
