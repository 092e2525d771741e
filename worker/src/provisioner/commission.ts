import { mkdir, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Dossier, OrderResult } from "@moneypenny/shared";
import { childPath, lstatIfExists, openDirectoryNoFollow, requireDirectory } from "./homePath.js";
import { fromFsError, permanent } from "./provisionError.js";
import type { ProvisionerSettings } from "./provisionerSettings.js";
import { copySkeleton, type Owner } from "./skeleton.js";

/**
 * Creates the user's home directory, or accepts the one that is there:
 * - missing: built complete under a staging name (owner, mode, skeleton), then
 *   renamed into place, so a crash never leaves a half-made home behind;
 * - a directory owned by the user: nothing changes;
 * - a directory owned by someone else: fixed if empty, refused if not;
 * - a link or anything else: refused.
 */
export async function commission(dossier: Dossier, settings: ProvisionerSettings): Promise<OrderResult> {
  await requireDirectory(settings.homeRoot, "MONEYPENNY_HOME_ROOT");
  const home = childPath(settings.homeRoot, dossier.username);
  const warnings = settings.applyOwnership ? [] : [notRootWarning(dossier)];
  const owner: Owner = settings.applyOwnership ? { uid: dossier.uid, gid: dossier.gid } : currentOwner();

  const existing = await lstatIfExists(home);
  if (existing === undefined) {
    await createHome(home, dossier, settings, warnings);
    return { username: dossier.username, action: "created", message: `created ${home}`, path: home, warnings };
  }
  if (existing.isSymbolicLink()) throw permanent(`${home} is a symbolic link; refusing to follow it. Remove it, then retry.`);
  if (!existing.isDirectory()) throw permanent(`${home} exists and is not a directory; move it away, then retry.`);

  if (existing.uid === owner.uid && existing.gid === owner.gid) {
    return { username: dossier.username, action: "already-existed", message: `${home} already existed; nothing changed`, path: home, warnings };
  }

  const handle = await openDirectoryNoFollow(home, existing);
  try {
    // List through the descriptor, not the path: what is checked for
    // emptiness is then surely the directory whose owner changes.
    const entries = await readdir(`/proc/self/fd/${handle.fd}`).catch((error: unknown) => {
      throw fromFsError(error, `list ${home}`);
    });
    if (entries.length > 0) {
      throw permanent(
        `${home} exists, is owned by uid ${existing.uid} gid ${existing.gid} instead of the user (uid ${owner.uid} gid ${owner.gid}), ` +
          `and is not empty; refusing to give someone else's files to ${dossier.username}. Check who owns it, then fix it by hand.`,
      );
    }
    await handle.chown(owner.uid, owner.gid).catch((error: unknown) => {
      throw fromFsError(error, `chown ${home} to ${owner.uid}:${owner.gid}`, true);
    });
    await handle.chmod(settings.homeMode).catch((error: unknown) => {
      throw fromFsError(error, `chmod ${home}`);
    });
  } finally {
    await handle.close();
  }
  warnings.push(
    `${home} was empty and owned by uid ${existing.uid} gid ${existing.gid}; changed its owner to ${owner.uid}:${owner.gid} and its mode to 0${settings.homeMode.toString(8)}`,
  );
  return { username: dossier.username, action: "owner-fixed", message: `fixed the owner of the empty ${home}`, path: home, warnings };
}

async function createHome(home: string, dossier: Dossier, settings: ProvisionerSettings, warnings: string[]): Promise<void> {
  // A dot name can never be a username, so the staging entry cannot clash with a home.
  const staging = path.join(settings.homeRoot, `.moneypenny-staging-${dossier.username}`);
  try {
    // Left over by a crash in an earlier attempt: it was never a home, start again.
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging, { mode: 0o700 });
  } catch (error) {
    throw fromFsError(error, `create ${staging}`);
  }
  try {
    await fillStaging(staging, dossier, settings, warnings);
    await rename(staging, home);
  } catch (error) {
    // Never leave a half-made home behind; the next attempt starts afresh anyway.
    await rm(staging, { recursive: true, force: true }).catch(() => undefined);
    throw fromFsError(error, `rename ${staging} to ${home}`);
  }
}

async function fillStaging(staging: string, dossier: Dossier, settings: ProvisionerSettings, warnings: string[]): Promise<void> {
  const handle = await openDirectoryNoFollow(staging);
  try {
    const owner = settings.applyOwnership ? { uid: dossier.uid, gid: dossier.gid } : undefined;
    if (settings.skelDir !== undefined) await copySkeleton(settings.skelDir, staging, owner, warnings);
    await handle.chmod(settings.homeMode).catch((error: unknown) => {
      throw fromFsError(error, `chmod ${staging}`);
    });
    if (owner !== undefined) {
      await handle.chown(owner.uid, owner.gid).catch((error: unknown) => {
        throw fromFsError(error, `chown ${staging} to ${owner.uid}:${owner.gid}`, true);
      });
    }
  } finally {
    await handle.close();
  }
}

function currentOwner(): Owner {
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

function notRootWarning(dossier: Dossier): string {
  const { uid } = currentOwner();
  return `ownership not applied: the provisioner is not running as root (uid ${uid}), so the home belongs to uid ${uid}, not to uid ${dossier.uid} gid ${dossier.gid}`;
}
