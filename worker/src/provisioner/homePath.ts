import { constants, type Stats } from "node:fs";
import { lstat, open, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { unsafeNameReason } from "@moneypenny/shared";
import { fromFsError, permanent } from "./provisionError.js";

/**
 * Path handling shared by every action: one level below a configured root,
 * never through a symbolic link.
 */

/** `root/name`, refusing any name that could leave `root` or hide in it. */
export function childPath(root: string, name: string): string {
  const unsafe = unsafeNameReason(name);
  if (unsafe !== undefined) throw permanent(`refusing username ${JSON.stringify(name)}: it ${unsafe}`);
  const child = path.join(root, name);
  if (path.dirname(child) !== root || path.basename(child) !== name) {
    throw permanent(`refusing username ${JSON.stringify(name)}: it does not name one entry of ${root}`);
  }
  return child;
}

/** lstat that answers undefined for a missing path; never follows a link. */
export async function lstatIfExists(target: string): Promise<Stats | undefined> {
  try {
    return await lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw fromFsError(error, `lstat ${target}`);
  }
}

/** Checks a configured root exists and is a directory; `variable` names its setting. */
export async function requireDirectory(root: string, variable: string): Promise<void> {
  const stats = await lstatIfExists(root);
  if (stats === undefined) throw permanent(`${variable} ${root} does not exist; create it or correct ${variable}`);
  if (stats.isSymbolicLink()) {
    // An operator may mount the root behind a link; resolve it once, here only.
    const target = await open(root, constants.O_RDONLY | constants.O_DIRECTORY).catch(() => undefined);
    if (target === undefined) throw permanent(`${variable} ${root} is a symbolic link to something that is not a directory`);
    await target.close();
    return;
  }
  if (!stats.isDirectory()) throw permanent(`${variable} ${root} is not a directory`);
}

/**
 * Opens a directory without following a link, and checks it is still the
 * entry that was lstat'ed (so a swap between the two is caught).
 */
export async function openDirectoryNoFollow(target: string, expected?: Stats): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(target, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (error) {
    throw fromFsError(error, `open ${target}`);
  }
  if (expected !== undefined) {
    const actual = await handle.stat();
    if (actual.ino !== expected.ino || actual.dev !== expected.dev) {
      await handle.close();
      throw new Error(`${target} changed while it was being checked; try again`);
    }
  }
  return handle;
}
