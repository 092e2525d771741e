import { createHash } from "node:crypto";
import type { V1ConfigMap, V1Container, V1Job } from "@kubernetes/client-node";
import { canonicalDossierJson, type Dossier, type OrderName } from "@moneypenny/shared";
import type { Orders } from "./orders.js";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "moneypenny";
export const USER_LABEL = "moneypenny.lsst.io/user";
export const ORDER_LABEL = "moneypenny.lsst.io/order";
export const USERNAME_ANNOTATION = "moneypenny.lsst.io/username";
export const QUEUE_JOB_ANNOTATION = "moneypenny.lsst.io/queue-job";
export const DOSSIER_HASH_ANNOTATION = "moneypenny.lsst.io/dossier-hash";

/** Where every container finds the dossier, as the old Moneypenny's order images expect. */
export const DOSSIER_MOUNT_PATH = "/opt/dossier";
const DOSSIER_VOLUME = "dossier";

export interface JobSettings {
  namespace: string;
  activeDeadlineSeconds: number;
  ttlSecondsAfterFinished: number;
}

/** A short hash of what the order does; the same order for the same dossier gives the same name. */
export function orderHash(order: OrderName, dossier: Dossier): string {
  return createHash("sha256").update(`${order}\n${canonicalDossierJson(dossier)}`).digest("hex").slice(0, 10);
}

/**
 * `mp-<order>-<user>-<hash>`: deterministic, so that a retried or resumed
 * attempt finds the Job an earlier one created, and at most 63 characters of
 * DNS-1123 (usernames may hold '_' or be long, so that part is cleaned and
 * cut; the hash keeps names apart).
 */
export function orderJobName(order: OrderName, dossier: Dossier): string {
  const user = labelSafe(dossier.username).slice(0, 63 - "mp-commission--".length - 10).replace(/-+$/, "") || "user";
  return `mp-${order}-${user}-${orderHash(order, dossier)}`;
}

/** A label value: at most 63 of [a-z0-9-], starting and ending alphanumeric. */
function labelSafe(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
}

export interface OrderManifests {
  job: V1Job;
  /** Created after the Job, owned by it, so Kubernetes deletes it with the Job. */
  configMap: (jobUid: string) => V1ConfigMap;
}

export function renderOrderManifests(order: OrderName, dossier: Dossier, orders: Orders, settings: JobSettings, queueJobId: string): OrderManifests {
  const name = orderJobName(order, dossier);
  const dossierJson = JSON.stringify(dossier);
  const labels = { [MANAGED_BY_LABEL]: MANAGED_BY, [USER_LABEL]: labelSafe(dossier.username) || "user", [ORDER_LABEL]: order };
  const annotations = { [USERNAME_ANNOTATION]: dossier.username, [QUEUE_JOB_ANNOTATION]: queueJobId, [DOSSIER_HASH_ANNOTATION]: orderHash(order, dossier) };
  const containers = orders[order].map((c, index): V1Container => ({
    ...c,
    name: c.name ?? `step-${index}`,
    env: [...(c.env ?? []), { name: "MONEYPENNY_DOSSIER", value: dossierJson }],
    volumeMounts: [...(c.volumeMounts ?? []), { name: DOSSIER_VOLUME, mountPath: DOSSIER_MOUNT_PATH, readOnly: true }],
  }));
  const main = containers.at(-1);
  const job: V1Job = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: settings.namespace, labels, annotations },
    spec: {
      // The queue owns retries: each failure is seen, and recorded, once.
      backoffLimit: 0,
      activeDeadlineSeconds: settings.activeDeadlineSeconds,
      ttlSecondsAfterFinished: settings.ttlSecondsAfterFinished,
      template: {
        metadata: { labels, annotations },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          initContainers: containers.slice(0, -1),
          containers: main === undefined ? [] : [main],
          volumes: [...orders.volumes, { name: DOSSIER_VOLUME, configMap: { name } }],
        },
      },
    },
  };
  const configMap = (jobUid: string): V1ConfigMap => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      namespace: settings.namespace,
      labels,
      annotations,
      ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name, uid: jobUid, blockOwnerDeletion: false }],
    },
    data: { "dossier.json": dossierJson },
  });
  return { job, configMap };
}
