/**
 * A failed privileged action. `permanent` failures are not retried: repeating
 * them cannot help until a person changes something, and the message says what.
 */
export class ProvisionError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = "ProvisionError";
  }
}

export function permanent(message: string): ProvisionError {
  return new ProvisionError(message, true);
}

// Errors no retry can cure: permissions, a read-only or foreign filesystem, a
// path of the wrong kind. Everything else (EIO, ENOSPC, ESTALE, EBUSY, ...) may
// pass, and is retried with backoff.
const PERMANENT_CODES = new Set(["EPERM", "EACCES", "EROFS", "ENOTDIR", "ELOOP", "EXDEV", "ENAMETOOLONG", "EINVAL", "EISDIR"]);

/**
 * Turns a filesystem error into a ProvisionError that says what was being
 * done. `ownership` marks a chown: its EPERM means missing privilege.
 */
export function fromFsError(error: unknown, doing: string, ownership = false): ProvisionError {
  if (error instanceof ProvisionError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  if (code === "EPERM" && ownership) {
    return permanent(
      `${doing}: operation not permitted (EPERM). The provisioner lacks the privilege to change ownership: ` +
        `it must run as root with CAP_CHOWN, and an NFS export must not squash root (root_squash); ${detail}`,
    );
  }
  return new ProvisionError(`${doing}: ${detail}`, code !== undefined && PERMANENT_CODES.has(code));
}
