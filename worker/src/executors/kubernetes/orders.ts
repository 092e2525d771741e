import { readFile } from "node:fs/promises";
import type { V1Container, V1Volume } from "@kubernetes/client-node";
import { parse } from "yaml";
import { z } from "zod";
import { ConfigError, type IdentityRules, type KubernetesSettings, type OrderName } from "@moneypenny/shared";

/**
 * Standing orders: what runs, in the cluster, for each order. The last
 * container of an order is the main one; the ones before it run first, in
 * order, as init containers. An empty order does nothing and succeeds.
 */
export interface Orders {
  commission: V1Container[];
  retire: V1Container[];
  volumes: V1Volume[];
}

/** A bad orders file or default-orders setting: like a bad variable, it stops the worker at start-up. */
export class OrdersError extends ConfigError {
  constructor(message: string) {
    super([message]);
    this.name = "OrdersError";
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsLabel = z.string().regex(DNS_LABEL, { error: "must be a DNS-1123 label (lower case letters, digits and '-', at most 63)" });

// Only the fields an order needs, checked strictly so that a typo is an error
// at start-up rather than a field Kubernetes silently drops.
const container = z.strictObject({
  name: dnsLabel.optional(),
  image: z.string().min(1, { error: "is required" }),
  imagePullPolicy: z.enum(["Always", "IfNotPresent", "Never"]).optional(),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  workingDir: z.string().optional(),
  env: z.array(z.strictObject({ name: z.string().min(1), value: z.string() })).optional(),
  volumeMounts: z
    .array(z.strictObject({ name: dnsLabel, mountPath: z.string().startsWith("/"), readOnly: z.boolean().optional(), subPath: z.string().optional() }))
    .optional(),
  resources: z.record(z.string(), z.unknown()).optional(),
  securityContext: z.record(z.string(), z.unknown()).optional(),
});

// Any Kubernetes volume source is allowed (NFS, PVC, hostPath...): a name and exactly one source.
const volume = z
  .looseObject({ name: dnsLabel })
  .refine((v) => Object.keys(v).filter((k) => k !== "name").length === 1, { error: "must have a name and exactly one volume source (nfs, persistentVolumeClaim, hostPath, ...)" });

const ordersFile = z.strictObject({
  commission: z.array(container).default([]),
  retire: z.array(container).default([]),
  volumes: z.array(volume).default([]),
});

/** Parses and checks an orders document; an error names the bad key and why. */
export function parseOrders(text: string, source: string): Orders {
  let document: unknown;
  try {
    document = parse(text) ?? {};
  } catch (error) {
    throw new OrdersError(`${source}: not valid YAML: ${(error as Error).message}`);
  }
  const result = ordersFile.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = issue.code === "unrecognized_keys" ? [...issue.path, issue.keys[0]] : issue.path;
      return `${key.join(".") || "(top level)"}: ${issue.code === "unrecognized_keys" ? "unknown key" : issue.message}`;
    });
    throw new OrdersError(`${source}: ${problems.join("; ")}`);
  }
  const orders = result.data as Orders;
  const volumeNames = new Set(orders.volumes.map((v) => v.name));
  // What Moneypenny adds to every pod (the dossier volume, mount and variable) must not clash.
  orders.volumes.forEach((v, index) => {
    if (v.name === "dossier") throw new OrdersError(`${source}: volumes.${index}.name: "dossier" is reserved for the dossier ConfigMap`);
  });
  for (const order of ["commission", "retire"] as const) {
    const names = new Set<string>();
    orders[order].forEach((c, index) => {
      const name = c.name ?? `step-${index}`;
      if (names.has(name)) throw new OrdersError(`${source}: ${order}.${index}.name: duplicate container name ${name}`);
      names.add(name);
      for (const mount of c.volumeMounts ?? []) {
        if (!volumeNames.has(mount.name)) throw new OrdersError(`${source}: ${order}.${index}.volumeMounts: no volume named ${mount.name}`);
        if (mount.mountPath === "/opt/dossier" || mount.mountPath.startsWith("/opt/dossier/")) {
          throw new OrdersError(`${source}: ${order}.${index}.volumeMounts: /opt/dossier is reserved for the dossier`);
        }
      }
      if (c.env?.some((e) => e.name === "MONEYPENNY_DOSSIER")) throw new OrdersError(`${source}: ${order}.${index}.env: MONEYPENNY_DOSSIER is set by Moneypenny`);
    });
  }
  return orders;
}

/** Where homes are mounted in the provisioner's container; its home root. */
export const PROVISIONER_HOMES_PATH = "/homes";
/** Inside the homes volume (a rename must stay on one filesystem); a dot name is never a user's. */
export const PROVISIONER_ARCHIVE_PATH = "/homes/.moneypenny-archive";

/**
 * The default orders: the project's provisioner image, with one volume
 * holding all homes. Just the privileges chown and mkdir need: root in the
 * container, but no privilege escalation, every capability dropped but CHOWN,
 * DAC_OVERRIDE and FOWNER, a read-only root filesystem, the runtime's seccomp profile.
 */
export function defaultOrders(settings: KubernetesSettings, identity: IdentityRules, homeMode: number): Orders {
  if (settings.homesVolume === undefined) {
    throw new OrdersError("MONEYPENNY_HOMES_VOLUME: required with the default orders (no MONEYPENNY_ORDERS_FILE): the volume holding all homes, as YAML or JSON");
  }
  const homesVolume = parseOrders(`volumes: [${JSON.stringify({ name: "homes", ...parseVolume(settings.homesVolume) })}]`, "MONEYPENNY_HOMES_VOLUME").volumes;
  const provisioner = (order: OrderName): V1Container => ({
    name: "provisioner",
    image: settings.provisionerImage,
    args: [order],
    env: [
      { name: "MONEYPENNY_HOME_ROOT", value: PROVISIONER_HOMES_PATH },
      { name: "MONEYPENNY_ARCHIVE_ROOT", value: PROVISIONER_ARCHIVE_PATH },
      { name: "MONEYPENNY_HOME_MODE", value: `0${homeMode.toString(8)}` },
      { name: "MONEYPENNY_USERNAME_PATTERN", value: identity.usernamePattern.source },
      { name: "MONEYPENNY_MIN_ID", value: String(identity.minId) },
      { name: "MONEYPENNY_MAX_ID", value: String(identity.maxId) },
      { name: "MONEYPENNY_MAX_GROUPS", value: String(identity.maxGroups) },
    ],
    volumeMounts: [{ name: "homes", mountPath: PROVISIONER_HOMES_PATH }],
    resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ["ALL"], add: ["CHOWN", "DAC_OVERRIDE", "FOWNER"] },
      readOnlyRootFilesystem: true,
      seccompProfile: { type: "RuntimeDefault" },
    },
  });
  return { commission: [provisioner("commission")], retire: [provisioner("retire")], volumes: homesVolume };
}

function parseVolume(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new OrdersError(`MONEYPENNY_HOMES_VOLUME: not valid YAML or JSON: ${(error as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new OrdersError("MONEYPENNY_HOMES_VOLUME: must be a volume spec such as {nfs: {server: nfs.example.org, path: /homes}}");
  }
  const { name: _ignored, ...source } = value as Record<string, unknown>;
  return source;
}

/** The orders the configuration names: the file, or the defaults. */
export async function loadOrders(settings: KubernetesSettings, identity: IdentityRules, homeMode: number): Promise<Orders> {
  if (settings.ordersFile === undefined) return defaultOrders(settings, identity, homeMode);
  let text: string;
  try {
    text = await readFile(settings.ordersFile, "utf8");
  } catch (error) {
    throw new OrdersError(`MONEYPENNY_ORDERS_FILE ${settings.ordersFile}: cannot be read: ${(error as Error).message}`);
  }
  return parseOrders(text, `MONEYPENNY_ORDERS_FILE ${settings.ordersFile}`);
}
