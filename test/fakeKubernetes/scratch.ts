import { mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";

/** The one temporary directory a FakeKubernetes owns; everything it writes goes below it, and stop() removes it. */
export class Scratch {
  private constructor(readonly root: string) {}

  static async create(): Promise<Scratch> {
    return new Scratch(await mkdtemp(path.join(tmpdir(), "fake-kubernetes-")));
  }

  /** A new, empty directory (a pod's working directory, an emptyDir, a ConfigMap's files). */
  newDir(prefix: string): Promise<string> {
    return mkdtemp(path.join(this.root, `${prefix}-`));
  }

  /**
   * The directory that stands for a network volume (nfs, persistentVolumeClaim, ...)
   * of this name: the same one for every pod, as the real volume is, so a test
   * can look at what the pods left in it.
   */
  volumeDir(volumeName: string): string {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(volumeName)) throw new Error(`not a volume name: ${volumeName}`);
    const dir = path.join(this.root, "volumes", volumeName);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  remove(): Promise<void> {
    return rm(this.root, { recursive: true, force: true });
  }
}
