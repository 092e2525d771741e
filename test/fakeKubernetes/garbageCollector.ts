import type { Kubelet } from "./kubelet.js";
import { timestamp } from "./names.js";
import type { Resource, StoredObject } from "./objects.js";
import { deleted, notFound, type Status } from "./status.js";
import type { Store } from "./store.js";

export type PropagationPolicy = "Orphan" | "Background" | "Foreground";

/** The resources a client may DELETE here (pods are deleted only by the garbage collector and the job controller). */
export type DeletableResource = Exclude<Resource, "pods">;

/**
 * Deletion with propagation, and the garbage collector behind it: objects
 * whose metadata.ownerReferences name a deleted owner's uid are deleted
 * (Background: after the owner is gone; Foreground: before it goes, the owner
 * waiting with a deletionTimestamp and the foregroundDeletion finalizer) or
 * orphaned (Orphan: the owner reference is removed and they live on; a pod
 * keeps running). As in Kubernetes, the collection happens shortly after the
 * DELETE is answered, not during it. An object created with owner references
 * none of which exists is collected too.
 */
export class GarbageCollector {
  #stopped = false;
  readonly #unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly kubelet: Kubelet,
  ) {
    this.#unsubscribe = store.subscribe((event) => {
      if (event.type !== "ADDED" || !event.object.metadata.ownerReferences?.length) return;
      const { namespace, name } = event.object.metadata;
      this.#later(() => this.#collectIfOwnerless(event.resource, namespace, name));
    });
  }

  stop(): void {
    this.#stopped = true;
    this.#unsubscribe();
  }

  /** Carries out a DELETE; returns what the API answers: a Status when the object is gone at once, else the object as marked for deletion. */
  delete(resource: DeletableResource, namespace: string, name: string, policy: PropagationPolicy): StoredObject | Status {
    const object = this.store.get(resource, namespace, name);
    if (!object) throw notFound(resource, name);
    if (object.metadata.deletionTimestamp) return object;
    const { uid } = object.metadata;
    if (policy === "Background") {
      this.store.remove(resource, namespace, name);
      this.#later(() => this.#deleteDependents(uid));
      return deleted(resource, name, uid);
    }
    const finalizer = policy === "Foreground" ? "foregroundDeletion" : "orphan";
    const marked = this.store.update(resource, namespace, name, (o) => {
      o.metadata.deletionTimestamp = timestamp();
      o.metadata.deletionGracePeriodSeconds = 0;
      o.metadata.finalizers = [...(o.metadata.finalizers ?? []), finalizer];
    });
    this.#later(async () => {
      if (policy === "Foreground") await this.#deleteDependents(uid);
      else this.#orphanDependents(uid);
      this.store.remove(resource, namespace, name);
    });
    return marked ?? object;
  }

  async #deleteDependents(ownerUid: string): Promise<void> {
    await Promise.all(
      this.store.dependentsOf(ownerUid).map(async ({ resource, object }) => {
        const { namespace, name } = object.metadata;
        // A dependent with another owner still alive is not deleted; it just loses this owner.
        const otherOwners = (object.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== ownerUid && this.store.existsWithUid(ref.uid));
        if (otherOwners.length > 0) return this.#dropOwner(resource, namespace, name, ownerUid);
        return this.#deleteObject(resource, namespace, name);
      }),
    );
  }

  #orphanDependents(ownerUid: string): void {
    for (const { resource, object } of this.store.dependentsOf(ownerUid)) this.#dropOwner(resource, object.metadata.namespace, object.metadata.name, ownerUid);
  }

  #dropOwner(resource: Resource, namespace: string, name: string, ownerUid: string): void {
    this.store.update(resource, namespace, name, (o) => {
      const remaining = o.metadata.ownerReferences?.filter((ref) => ref.uid !== ownerUid) ?? [];
      // An empty list is not served, as the real server omits empty lists.
      if (remaining.length > 0) o.metadata.ownerReferences = remaining;
      else delete o.metadata.ownerReferences;
    });
  }

  async #deleteObject(resource: Resource, namespace: string, name: string): Promise<void> {
    if (resource === "pods") return this.kubelet.deletePod(namespace, name);
    if (this.store.get(resource, namespace, name)) this.delete(resource, namespace, name, "Background");
  }

  async #collectIfOwnerless(resource: Resource, namespace: string, name: string): Promise<void> {
    const object = this.store.get(resource, namespace, name);
    const owners = object?.metadata.ownerReferences ?? [];
    if (owners.length === 0 || owners.some((ref) => this.store.existsWithUid(ref.uid))) return;
    await this.#deleteObject(resource, namespace, name);
  }

  /** Runs the collection after the current request is answered; a failure in it is a bug of the fake, and fails the test. */
  #later(work: () => void | Promise<void>): void {
    setImmediate(() => {
      if (this.#stopped) return;
      void Promise.resolve()
        .then(work)
        .catch((error: unknown) =>
          queueMicrotask(() => {
            throw error;
          }),
        );
    });
  }
}
