import type { WorkerConfig } from "@moneypenny/shared";

/** What the provisioner needs to know besides the dossier. */
export interface ProvisionerSettings {
  /** Absolute; every home is one level below it. Must exist. */
  homeRoot: string;
  /** Absolute; retired homes are moved here. Must exist, on the same filesystem. */
  archiveRoot: string;
  /** Copied into every new home when set. */
  skelDir: string | undefined;
  /** Mode of a new home directory, e.g. 0o700. */
  homeMode: number;
  /**
   * Whether to chown to the user. Only root can; a non-root provisioner (a
   * developer's machine) creates homes owned by itself and says so in every result.
   */
  applyOwnership: boolean;
}

export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

export function provisionerSettings(config: WorkerConfig): ProvisionerSettings {
  return {
    homeRoot: config.homeRoot,
    archiveRoot: config.archiveRoot,
    skelDir: config.skelDir,
    homeMode: config.homeMode,
    applyOwnership: runningAsRoot(),
  };
}
