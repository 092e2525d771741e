import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import type { Dossier, OrderResult } from "@moneypenny/shared";
import { childPath, lstatIfExists, requireDirectory } from "./homePath.js";
import { fromFsError, permanent } from "./provisionError.js";
import type { ProvisionerSettings } from "./provisionerSettings.js";

/**
 * Moves the user's home into the archive as `<username>-<UTC timestamp>`.
 * A rename within one filesystem: instant, and nothing is deleted.
 */
export async function retire(dossier: Dossier, settings: ProvisionerSettings, now = new Date()): Promise<OrderResult> {
  await requireDirectory(settings.homeRoot, "MONEYPENNY_HOME_ROOT");
  const home = childPath(settings.homeRoot, dossier.username);
  const existing = await lstatIfExists(home);
  if (existing === undefined) {
    return { username: dossier.username, action: "absent", message: `${home} does not exist; nothing to archive`, warnings: [] };
  }
  if (existing.isSymbolicLink()) throw permanent(`${home} is a symbolic link; refusing to archive it. Remove it by hand.`);
  if (!existing.isDirectory()) throw permanent(`${home} is not a directory; refusing to archive it. Move it away by hand.`);

  if (path.dirname(settings.archiveRoot) === settings.homeRoot && (await lstatIfExists(settings.archiveRoot)) === undefined) {
    // An archive kept inside the homes volume (a dot name, never a user's) is made on first use.
    await mkdir(settings.archiveRoot, { mode: 0o700 }).catch((error: unknown) => {
      throw fromFsError(error, `create ${settings.archiveRoot}`);
    });
  }
  await requireDirectory(settings.archiveRoot, "MONEYPENNY_ARCHIVE_ROOT");
  const archive = await freeArchivePath(settings.archiveRoot, dossier.username, now);
  try {
    await rename(home, archive);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EXDEV") {
      throw permanent(`cannot move ${home} to ${archive}: MONEYPENNY_ARCHIVE_ROOT must be on the same filesystem as MONEYPENNY_HOME_ROOT`);
    }
    throw fromFsError(error, `rename ${home} to ${archive}`);
  }
  return { username: dossier.username, action: "archived", message: `archived ${home} as ${archive}`, path: archive, warnings: [] };
}

async function freeArchivePath(archiveRoot: string, username: string, now: Date): Promise<string> {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  const base = childPath(archiveRoot, `${username}-${stamp}`);
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if ((await lstatIfExists(candidate)) === undefined) return candidate;
  }
}
