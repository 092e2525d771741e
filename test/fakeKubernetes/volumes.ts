import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Scratch } from "./scratch.js";
import type { Store } from "./store.js";
import type { ConfigMap, Container, KeyToPath, Pod } from "./objects.js";

/** A container path and the host directory that stands for it. */
export interface Mount {
  mountPath: string;
  hostPath: string;
}

/** Writes a ConfigMap as a configMap volume shows it: one file per key, or only the listed items. */
async function writeConfigMap(dir: string, configMap: ConfigMap | undefined, items: KeyToPath[] | undefined): Promise<void> {
  const contents = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(configMap?.data ?? {})) contents.set(k, Buffer.from(v));
  for (const [k, v] of Object.entries(configMap?.binaryData ?? {})) contents.set(k, Buffer.from(v, "base64"));
  const files = items ? items.map(({ key, path: file }) => [file, contents.get(key)] as const) : [...contents].map(([k, v]) => [k, v] as const);
  for (const [file, content] of files) {
    if (content === undefined || file.split("/").includes("..") || path.isAbsolute(file)) continue;
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), content);
  }
}

/**
 * The host directory for each of the pod's volumes. A configMap volume waits
 * for its ConfigMap, as the real kubelet keeps the pod in ContainerCreating
 * until it exists (unless the volume is optional); the wait ends with the
 * signal, when the pod is deleted.
 */
export async function prepareVolumes(pod: Pod, store: Store, scratch: Scratch, signal: AbortSignal): Promise<Map<string, string>> {
  const hostDirs = new Map<string, string>();
  for (const volume of pod.spec.volumes ?? []) {
    if (volume.hostPath) {
      if (volume.hostPath.type === "DirectoryOrCreate") await mkdir(volume.hostPath.path, { recursive: true });
      hostDirs.set(volume.name, volume.hostPath.path);
    } else if (volume.configMap) {
      const { name, optional, items } = volume.configMap;
      const configMap = optional ? store.get("configmaps", pod.metadata.namespace, name) : await store.waitFor("configmaps", pod.metadata.namespace, name, signal);
      const dir = await scratch.newDir(`configmap-${volume.name}`);
      await writeConfigMap(dir, configMap, items);
      hostDirs.set(volume.name, dir);
    } else if (volume.emptyDir) {
      hostDirs.set(volume.name, await scratch.newDir(`emptydir-${volume.name}`));
    } else {
      hostDirs.set(volume.name, scratch.volumeDir(volume.name));
    }
  }
  return hostDirs;
}

/** The container's mounts, longest mountPath first so that a nested mount wins; subPath directories are created, as the kubelet does. */
export async function mountsOf(container: Container, hostDirs: ReadonlyMap<string, string>): Promise<Mount[]> {
  const mounts: Mount[] = [];
  for (const { name, mountPath, subPath } of container.volumeMounts ?? []) {
    const volumeDir = hostDirs.get(name);
    if (volumeDir === undefined) continue; // admission refused mounts of unknown volumes
    const hostPath = subPath ? path.join(volumeDir, subPath) : volumeDir;
    if (subPath) await mkdir(hostPath, { recursive: true });
    mounts.push({ mountPath: mountPath.length > 1 ? mountPath.replace(/\/+$/, "") : mountPath, hostPath });
  }
  return mounts.sort((a, b) => b.mountPath.length - a.mountPath.length);
}

/**
 * A process here cannot see the container's mounts, so paths are translated
 * instead: a value that is a mountPath, or starts with mountPath + "/", is
 * rewritten to the host directory. Only a leading path is rewritten; a path in
 * the middle of a `sh -c` script is not (pass it in an env variable).
 */
export function rewritePath(value: string, mounts: readonly Mount[]): string {
  for (const { mountPath, hostPath } of mounts) {
    if (value === mountPath) return hostPath;
    if (mountPath === "/" && value.startsWith("/")) return hostPath + value;
    if (value.startsWith(`${mountPath}/`)) return hostPath + value.slice(mountPath.length);
  }
  return value;
}
