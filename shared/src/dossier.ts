import { z } from "zod";

/**
 * A dossier: who a user is, as far as the privileged actions are concerned.
 * The spawner sends it; the provisioner acts on it.
 */
export interface Group {
  name: string;
  id: number;
}

export interface Dossier {
  username: string;
  uid: number;
  /** Primary group id; the wire format allows leaving it out, meaning "same as uid". */
  gid: number;
  groups: Group[];
}

/** What a deployment allows as user and group names and ids. */
export interface IdentityRules {
  usernamePattern: RegExp;
  minId: number;
  maxId: number;
  maxGroups: number;
}

export const DEFAULT_USERNAME_PATTERN = "^[a-z_][a-z0-9_-]{0,31}$";

export const DEFAULT_IDENTITY_RULES: IdentityRules = {
  usernamePattern: new RegExp(DEFAULT_USERNAME_PATTERN),
  minId: 1000,
  maxId: 2 ** 31 - 1,
  maxGroups: 1000,
};

/**
 * Why a name can never be used, whatever pattern a deployment configures.
 * A username becomes a path component under the home root and part of a queue
 * job id, so these rules guard the filesystem and BullMQ, not taste.
 */
export function unsafeNameReason(name: string): string | undefined {
  if (name.length === 0) return "must not be empty";
  if (name.length > 255) return "must be at most 255 characters";
  if (name.startsWith(".")) return "must not start with '.'";
  if (name.startsWith("-")) return "must not start with '-'";
  if (/[/\\:\0]/.test(name)) return "must not contain '/', '\\', ':' or NUL";
  // Control characters and white space in a directory name only cause grief.
  if (/[\s\p{Cc}]/u.test(name)) return "must not contain white space or control characters";
  return undefined;
}

export function nameSchema(rules: IdentityRules) {
  return z
    .string()
    .meta({ pattern: rules.usernamePattern.source, description: "never empty, over 255 characters, starting with '.' or '-', or containing '/', '\\', ':', NUL or white space" })
    .superRefine((name, ctx) => {
    const unsafe = unsafeNameReason(name);
    if (unsafe !== undefined) {
      ctx.addIssue({ code: "custom", message: unsafe });
    } else if (!rules.usernamePattern.test(name)) {
      ctx.addIssue({ code: "custom", message: `must match ${rules.usernamePattern.source}` });
    }
    });
}

function idSchema(rules: IdentityRules) {
  return z
    .number({ error: `must be an integer from ${rules.minId} to ${rules.maxId}` })
    .int({ error: `must be an integer from ${rules.minId} to ${rules.maxId}` })
    .min(rules.minId, { error: `must be an integer from ${rules.minId} to ${rules.maxId}` })
    .max(rules.maxId, { error: `must be an integer from ${rules.minId} to ${rules.maxId}` });
}

/** The dossier as it arrives over HTTP: `gid` optional, unknown fields refused. */
export function dossierSchema(rules: IdentityRules = DEFAULT_IDENTITY_RULES) {
  const group = z.strictObject({ name: nameSchema(rules), id: idSchema(rules) });
  return z
    .strictObject({
      username: nameSchema(rules),
      uid: idSchema(rules),
      gid: idSchema(rules).optional(),
      groups: z.array(group).max(rules.maxGroups, { error: `must have at most ${rules.maxGroups} entries` }),
    })
    .superRefine((value, ctx) => {
      const names = new Set<string>();
      const ids = new Set<number>();
      value.groups.forEach((g, index) => {
        if (names.has(g.name)) ctx.addIssue({ code: "custom", path: ["groups", index, "name"], message: `duplicate group name ${g.name}` });
        if (ids.has(g.id)) ctx.addIssue({ code: "custom", path: ["groups", index, "id"], message: `duplicate group id ${g.id}` });
        names.add(g.name);
        ids.add(g.id);
      });
    })
    .transform((value): Dossier => normalizeDossier({ ...value, gid: value.gid ?? value.uid }));
}

/** Groups in a stable order, so that two dossiers that mean the same compare equal. */
export function normalizeDossier(dossier: Dossier): Dossier {
  const groups = [...dossier.groups].sort((a, b) => a.id - b.id || a.name.localeCompare(b.name));
  return { username: dossier.username, uid: dossier.uid, gid: dossier.gid, groups: groups.map((g) => ({ name: g.name, id: g.id })) };
}

/** A canonical JSON text of a dossier: equal dossiers give equal texts. */
export function canonicalDossierJson(dossier: Dossier): string {
  return JSON.stringify(normalizeDossier(dossier));
}
