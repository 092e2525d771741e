import type { ServerResponse } from "node:http";
import type { Faults } from "./faults.js";
import type { Route } from "./routes.js";
import { fieldSelector, labelSelector } from "./selectors.js";
import { badRequest } from "./status.js";
import type { EventType, Store, StoreEvent } from "./store.js";
import type { StoredObject } from "./objects.js";

function nonNegativeInteger(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw badRequest(`${name}: Invalid value: "${text}"`);
  return value;
}

/**
 * A watch (`?watch=true` on a collection): newline-delimited JSON events
 * `{"type": "ADDED"|"MODIFIED"|"DELETED", "object": {...}}`.
 *
 * - Without resourceVersion (or with "0"), the stream starts with a synthetic
 *   ADDED for every matching object, then follows the changes, as the real
 *   server does.
 * - With resourceVersion N, it replays every matching change after N from
 *   the history (which the fake never compacts, so 410 Gone never happens),
 *   then follows.
 * - It ends after timeoutSeconds, or after `faults.closeWatchesAfterEvents`
 *   events. Bookmarks are never sent (allowed: the server may omit them).
 *
 * Invalid parameters throw before anything is written, so they are answered
 * as an error Status.
 */
export function serveWatch(response: ServerResponse, store: Store, faults: Faults, route: Route, query: Record<string, string>): void {
  const labels = labelSelector(query["labelSelector"]);
  const fields = fieldSelector(query["fieldSelector"]);
  const resourceVersion = query["resourceVersion"];
  const after = resourceVersion === "0" ? undefined : nonNegativeInteger(resourceVersion, "resourceVersion");
  const timeoutSeconds = nonNegativeInteger(query["timeoutSeconds"], "timeoutSeconds");
  const matches = (object: StoredObject) => object.metadata.namespace === route.namespace && labels(object) && fields(object);

  response.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-cache, private" });
  response.flushHeaders();
  let open = true;
  let sent = 0;
  let unsubscribe = () => {};
  let timer: NodeJS.Timeout | undefined;
  const close = () => {
    if (!open) return;
    open = false;
    unsubscribe();
    clearTimeout(timer);
    response.end();
  };
  const limitReached = () => faults.closeWatchesAfterEvents !== undefined && sent >= faults.closeWatchesAfterEvents;
  const send = (type: EventType, object: StoredObject) => {
    if (!open) return;
    response.write(`${JSON.stringify({ type, object })}\n`);
    sent++;
    if (limitReached()) close();
  };
  const follow = (event: StoreEvent) => {
    if (event.resource === route.resource && matches(event.object)) send(event.type, event.object);
  };

  if (limitReached()) return close();
  // All synchronous: no change can slip in between the replay and the subscription.
  if (after === undefined) for (const object of store.list(route.resource, route.namespace).filter(matches)) send("ADDED", object);
  else for (const event of store.eventsAfter(after)) follow(event);
  if (!open) return;
  unsubscribe = store.subscribe(follow);
  if (timeoutSeconds !== undefined) timer = setTimeout(close, timeoutSeconds * 1000);
  // The response's close, not the request's: a request closes as soon as its (empty) body has been read.
  response.once("close", close);
}
