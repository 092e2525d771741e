import { constants } from "node:fs";
import { chmod, copyFile, lchown, lstat, mkdir, readdir, readlink, symlink } from "node:fs/promises";
import path from "node:path";
import { fromFsError } from "./provisionError.js";

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Copies a skeleton directory (like /etc/skel) into a new home that nobody but
 * root can reach yet. Directories, regular files and links are copied as they
 * are (links are not followed); anything else (devices, FIFOs, sockets) is
 * skipped with a warning. Set-id bits are dropped.
 */
export async function copySkeleton(source: string, target: string, owner: Owner | undefined, warnings: string[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(source, { withFileTypes: true });
  } catch (error) {
    throw fromFsError(error, `read skeleton directory ${source}`);
  }
  for (const entry of entries) {
    const from = path.join(source, entry.name);
    const to = path.join(target, entry.name);
    try {
      const stats = await lstat(from);
      if (stats.isDirectory()) {
        await mkdir(to, { mode: 0o700 });
        await copySkeleton(from, to, owner, warnings);
        await chmod(to, stats.mode & 0o777);
      } else if (stats.isFile()) {
        await copyFile(from, to, constants.COPYFILE_EXCL);
        await chmod(to, stats.mode & 0o777);
      } else if (stats.isSymbolicLink()) {
        await symlink(await readlink(from), to);
      } else {
        warnings.push(`skipped ${from} from the skeleton: not a file, directory or link`);
        continue;
      }
    } catch (error) {
      throw fromFsError(error, `copy skeleton ${from} to ${to}`);
    }
    if (owner !== undefined) {
      await lchown(to, owner.uid, owner.gid).catch((error: unknown) => {
        throw fromFsError(error, `chown ${to} to ${owner.uid}:${owner.gid}`, true);
      });
    }
  }
}
