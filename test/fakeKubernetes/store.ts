import type { Resource, ResourceTypes, StoredObject } from "./objects.js";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

/** One change, as etcd records it: every change to any object takes the next revision. */
export type StoreEvent = {
  [R in Resource]: { resource: R; type: EventType; object: ResourceTypes[R]; revision: number };
}[Resource];

type Listener = (event: StoreEvent) => void;

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * The fake's etcd: the objects, one global revision counter (so resourceVersions
 * increase across resources, as in a real cluster) and the full history of
 * changes, from which a watch can resume at any resourceVersion.
 *
 * Objects go in and out as copies, so nobody can change a stored object
 * without a new revision. Listeners are called in revision order even when a
 * listener itself changes the store (the job controller reacting to a pod
 * reacts inside a notification): changes made during a notification are
 * queued and delivered after it.
 */
export class Store {
  #revision = 0;
  readonly #objects: { [R in Resource]: Map<string, ResourceTypes[R]> } = { jobs: new Map(), pods: new Map(), configmaps: new Map() };
  readonly #history: StoreEvent[] = [];
  readonly #listeners = new Set<Listener>();
  readonly #pending: StoreEvent[] = [];
  #delivering = false;

  get revision(): number {
    return this.#revision;
  }

  get<R extends Resource>(resource: R, namespace: string, name: string): ResourceTypes[R] | undefined {
    const found = this.#objects[resource].get(key(namespace, name));
    return found && structuredClone(found);
  }

  /** In name order, as etcd's key order gives them. */
  list<R extends Resource>(resource: R, namespace?: string): ResourceTypes[R][] {
    return [...this.#objects[resource].values()]
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0))
      .map((o) => structuredClone(o));
  }

  /** Every object whose ownerReferences name this uid: what the garbage collector looks for. */
  dependentsOf(uid: string): { resource: Resource; object: StoredObject }[] {
    const found: { resource: Resource; object: StoredObject }[] = [];
    for (const resource of Object.keys(this.#objects) as Resource[]) {
      for (const object of this.#objects[resource].values()) {
        if (object.metadata.ownerReferences?.some((ref) => ref.uid === uid)) found.push({ resource, object: structuredClone(object) });
      }
    }
    return found;
  }

  existsWithUid(uid: string): boolean {
    return (Object.keys(this.#objects) as Resource[]).some((resource) =>
      [...this.#objects[resource].values()].some((o) => o.metadata.uid === uid),
    );
  }

  /** Stores a new object; the caller has checked that the name is free. */
  create<R extends Resource>(resource: R, object: ResourceTypes[R]): ResourceTypes[R] {
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.#revision);
    this.#objects[resource].set(key(stored.metadata.namespace, stored.metadata.name), stored);
    this.#record(resource, "ADDED", stored);
    return structuredClone(stored);
  }

  /** Applies `change` to the stored object and records it as one revision; undefined when the object is gone. */
  update<R extends Resource>(resource: R, namespace: string, name: string, change: (object: ResourceTypes[R]) => void): ResourceTypes[R] | undefined {
    const current = this.#objects[resource].get(key(namespace, name));
    if (!current) return undefined;
    const next = structuredClone(current);
    change(next);
    next.metadata.resourceVersion = String(++this.#revision);
    this.#objects[resource].set(key(namespace, name), next);
    this.#record(resource, "MODIFIED", next);
    return structuredClone(next);
  }

  /** Removes the object; its DELETED event carries its last state with the deletion's revision, as the real watch does. */
  remove<R extends Resource>(resource: R, namespace: string, name: string): ResourceTypes[R] | undefined {
    const current = this.#objects[resource].get(key(namespace, name));
    if (!current) return undefined;
    this.#objects[resource].delete(key(namespace, name));
    const last = structuredClone(current);
    last.metadata.resourceVersion = String(++this.#revision);
    this.#record(resource, "DELETED", last);
    return structuredClone(last);
  }

  /** The recorded changes after `revision`, oldest first. */
  eventsAfter(revision: number): StoreEvent[] {
    return this.#history.filter((event) => event.revision > revision);
  }

  /** Calls the listener with every later change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves with the object once it exists (at once if it does); rejects when the signal aborts first. */
  waitFor<R extends Resource>(resource: R, namespace: string, name: string, signal: AbortSignal): Promise<ResourceTypes[R]> {
    const now = this.get(resource, namespace, name);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const stop = () => {
        unsubscribe();
        signal.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        stop();
        reject(signal.reason);
      };
      const unsubscribe = this.subscribe((event) => {
        if (event.resource !== resource || event.type === "DELETED") return;
        if (event.object.metadata.namespace !== namespace || event.object.metadata.name !== name) return;
        stop();
        resolve(structuredClone(event.object) as ResourceTypes[R]);
      });
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #record<R extends Resource>(resource: R, type: EventType, object: ResourceTypes[R]): void {
    const event = { resource, type, object: structuredClone(object), revision: this.#revision } as StoreEvent;
    this.#history.push(event);
    this.#pending.push(event);
    if (this.#delivering) return;
    this.#delivering = true;
    try {
      for (let next = this.#pending.shift(); next; next = this.#pending.shift()) {
        for (const listener of [...this.#listeners]) {
          try {
            listener(next);
          } catch (error) {
            // A bug in the fake itself: surface it as an uncaught exception (the test fails) without
            // leaving the other listeners behind.
            queueMicrotask(() => {
              throw error;
            });
          }
        }
      }
    } finally {
      this.#delivering = false;
    }
  }
}
