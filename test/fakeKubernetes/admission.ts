import { randomUUID } from "node:crypto";
import { Decoder } from "./decode.js";
import { generateName, timestamp } from "./names.js";
import { resources, type ConfigMap, type Container, type Job, type ObjectMeta, type Resource, type Volume } from "./objects.js";
import { badRequest, invalid, type StatusCause } from "./status.js";

/*
 * What the API server does to an object on create before storing it: decode
 * (400 on wrong JSON types), default, validate (422 with the real wording),
 * and fill in the server-owned metadata. Only the checks an executor could
 * plausibly trip over are here; the real validation is far larger.
 */

const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const configMapKey = /^[-._a-zA-Z0-9]+$/;

const cause = (field: string, message: string, reason = "FieldValueInvalid"): StatusCause => ({ reason, message, field });

interface Envelope {
  decoder: Decoder;
  object: Record<string, unknown>;
  meta: ObjectMeta;
  causes: StatusCause[];
}

function envelope(body: unknown, resource: Resource, namespace: string, maxNameLength: number): Envelope {
  const { kind, apiVersion } = resources[resource];
  const decoder = new Decoder(kind);
  const object = decoder.record(body, kind);
  if (object.apiVersion !== undefined && object.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersion})`);
  }
  if (object.kind !== undefined && object.kind !== kind) throw badRequest(`${String(object.kind)} in version "v1" cannot be handled as a ${kind}: kind mismatch`);
  const m = decoder.record(object.metadata ?? {}, "metadata");
  const requestedNamespace = decoder.optionalString(m.namespace, "metadata.namespace");
  if (requestedNamespace && requestedNamespace !== namespace) {
    throw badRequest("the namespace of the provided object does not match the namespace sent on the request");
  }
  const causes: StatusCause[] = [];
  const base = decoder.optionalString(m.generateName, "metadata.generateName");
  const name = decoder.optionalString(m.name, "metadata.name") || (base ? generateName(base) : "");
  if (!name) causes.push(cause("metadata.name", "Required value: name or generateName is required", "FieldValueRequired"));
  else if (!subdomain.test(name)) {
    causes.push(cause("metadata.name", `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`));
  } else if (name.length > maxNameLength) {
    causes.push(cause("metadata.name", `Invalid value: "${name}": must be no more than ${maxNameLength} characters`));
  }
  decoder.optionalStringMap(m.labels, "metadata.labels");
  decoder.optionalStringMap(m.annotations, "metadata.annotations");
  decoder.optionalArray(m.ownerReferences, "metadata.ownerReferences")?.forEach((ref, i) => {
    const r = decoder.record(ref, `metadata.ownerReferences[${i}]`);
    for (const field of ["apiVersion", "kind", "name", "uid"]) {
      if (!decoder.optionalString(r[field], `metadata.ownerReferences[${i}].${field}`)) {
        causes.push(cause(`metadata.ownerReferences.${field}`, `Invalid value: "": ${field} must not be empty`));
      }
    }
  });
  // Server-owned fields are never taken from the client.
  const meta: ObjectMeta = {
    ...m,
    name,
    namespace,
    uid: randomUUID(),
    resourceVersion: "",
    creationTimestamp: timestamp(),
  };
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  return { decoder, object, meta, causes };
}

function decodeContainers(d: Decoder, value: unknown, field: string): Container[] | undefined {
  return d.optionalArray(value, field)?.map((item, i) => {
    const at = `${field}[${i}]`;
    const c = d.record(item, at);
    d.string(c.name ?? "", `${at}.name`);
    d.optionalString(c.image, `${at}.image`);
    d.optionalString(c.workingDir, `${at}.workingDir`);
    d.optionalStrings(c.command, `${at}.command`);
    d.optionalStrings(c.args, `${at}.args`);
    d.optionalArray(c.env, `${at}.env`)?.forEach((e, j) => {
      const env = d.record(e, `${at}.env[${j}]`);
      d.string(env.name ?? "", `${at}.env[${j}].name`);
      d.optionalString(env.value, `${at}.env[${j}].value`);
    });
    d.optionalArray(c.volumeMounts, `${at}.volumeMounts`)?.forEach((v, j) => {
      const mount = d.record(v, `${at}.volumeMounts[${j}]`);
      d.string(mount.name ?? "", `${at}.volumeMounts[${j}].name`);
      d.string(mount.mountPath ?? "", `${at}.volumeMounts[${j}].mountPath`);
      d.optionalString(mount.subPath, `${at}.volumeMounts[${j}].subPath`);
    });
    return c as Container;
  });
}

function decodeVolumes(d: Decoder, value: unknown, field: string): Volume[] | undefined {
  return d.optionalArray(value, field)?.map((item, i) => {
    const at = `${field}[${i}]`;
    const v = d.record(item, at);
    d.string(v.name ?? "", `${at}.name`);
    const hostPath = d.optionalRecord(v.hostPath, `${at}.hostPath`);
    if (hostPath) d.string(hostPath.path ?? "", `${at}.hostPath.path`);
    const configMap = d.optionalRecord(v.configMap, `${at}.configMap`);
    if (configMap) {
      d.string(configMap.name ?? "", `${at}.configMap.name`);
      d.optionalBoolean(configMap.optional, `${at}.configMap.optional`);
      d.optionalArray(configMap.items, `${at}.configMap.items`)?.forEach((k, j) => {
        const item = d.record(k, `${at}.configMap.items[${j}]`);
        d.string(item.key, `${at}.configMap.items[${j}].key`);
        d.string(item.path, `${at}.configMap.items[${j}].path`);
      });
    }
    return v as Volume;
  });
}

/** The image pull policy the server defaults to: Always for `:latest` or untagged images. */
function pullPolicy(image: string | undefined): string {
  if (!image || image.includes("@")) return "IfNotPresent";
  const tag = /:([^/:]+)$/.exec(image)?.[1];
  return tag === undefined || tag === "latest" ? "Always" : "IfNotPresent";
}

export function admitJob(body: unknown, namespace: string): Job {
  // 63, not 253: the Job's name becomes the value of its pods' job-name label.
  const { decoder: d, object, meta, causes } = envelope(body, "jobs", namespace, 63);
  const spec = d.record(object.spec, "spec");
  for (const field of ["backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished", "parallelism", "completions"]) {
    d.optionalInteger(spec[field], `spec.${field}`);
  }
  d.optionalBoolean(spec.suspend, "spec.suspend");
  const template = d.record(spec.template, "spec.template");
  const templateMeta = d.optionalRecord(template.metadata, "spec.template.metadata") ?? {};
  d.optionalStringMap(templateMeta.labels, "spec.template.metadata.labels");
  const podSpec = d.record(template.spec, "spec.template.spec");
  const at = "spec.template.spec";
  const containers = decodeContainers(d, podSpec.containers, `${at}.containers`) ?? [];
  const initContainers = decodeContainers(d, podSpec.initContainers, `${at}.initContainers`) ?? [];
  const volumes = decodeVolumes(d, podSpec.volumes, `${at}.volumes`) ?? [];
  const restartPolicy = d.optionalString(podSpec.restartPolicy, `${at}.restartPolicy`) || "Always";

  if (restartPolicy !== "Never" && restartPolicy !== "OnFailure") {
    causes.push(cause(`${at}.restartPolicy`, `Unsupported value: "${restartPolicy}": supported values: "OnFailure", "Never"`, "FieldValueNotSupported"));
  }
  if (containers.length === 0) causes.push(cause(`${at}.containers`, "Required value", "FieldValueRequired"));
  const volumeNames = new Set<string>();
  volumes.forEach((v, i) => {
    if (!dnsLabel.test(v.name)) causes.push(cause(`${at}.volumes[${i}].name`, `Invalid value: "${v.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`));
    else if (volumeNames.has(v.name)) causes.push(cause(`${at}.volumes[${i}].name`, `Duplicate value: "${v.name}"`, "FieldValueDuplicate"));
    volumeNames.add(v.name);
  });
  const containerNames = new Set<string>();
  for (const [list, field] of [[initContainers, "initContainers"], [containers, "containers"]] as const) {
    list.forEach((c, i) => {
      const cf = `${at}.${field}[${i}]`;
      if (!c.name) causes.push(cause(`${cf}.name`, "Required value", "FieldValueRequired"));
      else if (!dnsLabel.test(c.name)) causes.push(cause(`${cf}.name`, `Invalid value: "${c.name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'`));
      else if (containerNames.has(c.name)) causes.push(cause(`${cf}.name`, `Duplicate value: "${c.name}"`, "FieldValueDuplicate"));
      containerNames.add(c.name);
      (c.volumeMounts ?? []).forEach((m, j) => {
        if (!volumeNames.has(m.name)) causes.push(cause(`${cf}.volumeMounts[${j}].name`, `Not found: "${m.name}"`, "FieldValueNotFound"));
        if (!m.mountPath) causes.push(cause(`${cf}.volumeMounts[${j}].mountPath`, "Required value", "FieldValueRequired"));
      });
    });
  }
  for (const field of ["activeDeadlineSeconds", "ttlSecondsAfterFinished", "backoffLimit"]) {
    const value = spec[field];
    const min = field === "activeDeadlineSeconds" ? 1 : 0;
    if (typeof value === "number" && value < min) causes.push(cause(`spec.${field}`, `Invalid value: ${value}: must be greater than or equal to ${min}`));
  }
  if (causes.length > 0) throw invalid("jobs", meta.name, causes);

  // The defaults and the generated selector and labels, as the real strategy sets them.
  const { uid, name } = meta;
  const controllerLabels = { "batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name, "controller-uid": uid, "job-name": name };
  const withDefaults = (c: Container): Container => ({
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    imagePullPolicy: pullPolicy(c.image),
    resources: {},
    ...c,
  });
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { ...meta, generation: 1 },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: "NonIndexed",
      suspend: false,
      podReplacementPolicy: "TerminatingOrFailed",
      ...spec,
      selector: spec.selector ?? { matchLabels: { "batch.kubernetes.io/controller-uid": uid } },
      template: {
        metadata: { ...templateMeta, labels: { ...(templateMeta.labels as Record<string, string> | undefined), ...controllerLabels } },
        spec: {
          dnsPolicy: "ClusterFirst",
          schedulerName: "default-scheduler",
          securityContext: {},
          terminationGracePeriodSeconds: 30,
          ...podSpec,
          restartPolicy,
          containers: containers.map(withDefaults),
          ...(initContainers.length > 0 ? { initContainers: initContainers.map(withDefaults) } : {}),
        },
      },
    },
    status: {},
  };
}

export function admitConfigMap(body: unknown, namespace: string): ConfigMap {
  const { decoder: d, object, meta, causes } = envelope(body, "configmaps", namespace, 253);
  const data = d.optionalStringMap(object.data, "data");
  const binaryData = d.optionalStringMap(object.binaryData, "binaryData");
  for (const [field, map] of [["data", data], ["binaryData", binaryData]] as const) {
    for (const k of Object.keys(map ?? {})) {
      if (!configMapKey.test(k)) causes.push(cause(`${field}[${k}]`, `Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.'`));
    }
  }
  if (causes.length > 0) throw invalid("configmaps", meta.name, causes);
  return { ...object, apiVersion: "v1", kind: "ConfigMap", metadata: meta };
}
