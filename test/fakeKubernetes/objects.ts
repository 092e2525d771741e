/**
 * The shapes of the Kubernetes objects the fake stores, as plain JSON (never
 * client-node model classes, whose Date fields would change what is served).
 * Only the fields the fake reads are typed; everything else a client sends is
 * kept and served back untouched, as the real API server keeps it.
 */

export type Resource = "jobs" | "pods" | "configmaps";

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generateName?: string;
  generation?: number;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [field: string]: unknown;
}

export interface EnvVar {
  name: string;
  value?: string;
  [field: string]: unknown;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  subPath?: string;
  [field: string]: unknown;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: VolumeMount[];
  workingDir?: string;
  [field: string]: unknown;
}

export interface KeyToPath {
  key: string;
  path: string;
}

export interface Volume {
  name: string;
  hostPath?: { path: string; type?: string };
  configMap?: { name: string; items?: KeyToPath[]; optional?: boolean };
  emptyDir?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  nodeName?: string;
  [field: string]: unknown;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  spec: PodSpec;
}

export interface JobCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastProbeTime: string;
  lastTransitionTime: string;
}

export interface JobSpec {
  template: PodTemplate;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  suspend?: boolean;
  [field: string]: unknown;
}

export interface JobStatus {
  active?: number;
  succeeded?: number;
  failed?: number;
  startTime?: string;
  completionTime?: string;
  conditions?: JobCondition[];
  [field: string]: unknown;
}

export interface ContainerState {
  waiting?: { reason: string; message?: string };
  running?: { startedAt: string };
  terminated?: { exitCode: number; signal?: number; reason: string; message?: string; startedAt?: string; finishedAt: string };
}

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
}

export interface PodStatus {
  phase: "Pending" | "Running" | "Succeeded" | "Failed";
  message?: string;
  reason?: string;
  startTime?: string;
  conditions?: { type: string; status: string; lastProbeTime: null; lastTransitionTime: string; reason?: string }[];
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
  qosClass?: string;
  [field: string]: unknown;
}

export interface Job {
  apiVersion: "batch/v1";
  kind: "Job";
  metadata: ObjectMeta;
  spec: JobSpec;
  status: JobStatus;
}

export interface Pod {
  apiVersion: "v1";
  kind: "Pod";
  metadata: ObjectMeta;
  spec: PodSpec;
  status: PodStatus;
}

export interface ConfigMap {
  apiVersion: "v1";
  kind: "ConfigMap";
  metadata: ObjectMeta;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  [field: string]: unknown;
}

export interface ResourceTypes {
  jobs: Job;
  pods: Pod;
  configmaps: ConfigMap;
}

export type StoredObject = ResourceTypes[Resource];

/** What the REST layer needs to know about each resource: its URL prefix and its names in messages. */
export interface ResourceInfo {
  /** "/apis/batch/v1" or "/api/v1". */
  prefix: string;
  group: string;
  apiVersion: string;
  kind: string;
  listKind: string;
}

export const resources: Record<Resource, ResourceInfo> = {
  jobs: { prefix: "/apis/batch/v1", group: "batch", apiVersion: "batch/v1", kind: "Job", listKind: "JobList" },
  pods: { prefix: "/api/v1", group: "", apiVersion: "v1", kind: "Pod", listKind: "PodList" },
  configmaps: { prefix: "/api/v1", group: "", apiVersion: "v1", kind: "ConfigMap", listKind: "ConfigMapList" },
};

/** `jobs.batch` or `pods`: how the API server names a resource in its messages. */
export function qualifiedName(resource: Resource): string {
  const group = resources[resource].group;
  return group ? `${resource}.${group}` : resource;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
