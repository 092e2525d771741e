import type { AuthSettings, Dossier } from "@moneypenny/shared";
import { HttpError } from "../http/httpError.js";
import type { VerifiedToken } from "./tokenVerifier.js";

export interface Grant {
  /** The scope that allowed the action, for the audit log. */
  scope: string;
}

/**
 * What a verified token may do. Provisioning any dossier needs the provision
 * scope; operating the queue the operations scope. The optional self-service
 * scope allows commissioning (and watching) only the user the token names,
 * with the uid and gid the token carries, so that nobody can make a home for
 * someone else, or with a forged UID.
 */
export class Authorizer {
  constructor(private readonly settings: AuthSettings) {}

  /** Any action on any user (status, wait, retire). */
  provision(token: VerifiedToken): Grant {
    if (token.scopes.has(this.settings.provisionScope)) return { scope: this.settings.provisionScope };
    throw forbidden(this.settings.provisionScope);
  }

  operations(token: VerifiedToken): Grant {
    if (token.scopes.has(this.settings.operationsScope)) return { scope: this.settings.operationsScope };
    throw forbidden(this.settings.operationsScope);
  }

  /** Reading one user's status: the provision scope, or self-service for oneself. */
  readUser(token: VerifiedToken, username: string): Grant {
    if (token.scopes.has(this.settings.provisionScope)) return { scope: this.settings.provisionScope };
    const self = this.#selfService(token);
    if (self !== undefined && self.username === username) return { scope: self.scope };
    throw forbidden(this.settings.provisionScope);
  }

  /** Commissioning a dossier: the provision scope, or self-service for exactly the token's own identity. */
  commission(token: VerifiedToken, dossier: Dossier): Grant {
    if (token.scopes.has(this.settings.provisionScope)) return { scope: this.settings.provisionScope };
    const self = this.#selfService(token);
    if (self === undefined) throw forbidden(this.settings.provisionScope);
    const claims = this.settings.selfServiceClaims;
    if (self.username !== dossier.username) {
      throw new HttpError(403, "not_yourself", `a self-service token may only commission its own user (${self.username}), not ${dossier.username}`, "username");
    }
    const uid = token.claims[claims.uid];
    if (typeof uid !== "number" || uid !== dossier.uid) {
      throw new HttpError(403, "not_yourself", `uid ${dossier.uid} is not the uid in the token's ${claims.uid} claim`, "uid");
    }
    const gidClaim = token.claims[claims.gid];
    if (gidClaim !== undefined && typeof gidClaim !== "number") throw new HttpError(403, "not_yourself", `the token's ${claims.gid} claim is not a number`, "gid");
    const gid = gidClaim ?? uid;
    if (gid !== dossier.gid) {
      throw new HttpError(403, "not_yourself", `gid ${dossier.gid} is not the gid the token allows (${gid})`, "gid");
    }
    // The token says nothing of groups: a user may not pick their own.
    if (dossier.groups.length > 0) {
      throw new HttpError(403, "not_yourself", "a self-service dossier has no groups (groups come from an administrator)", "groups");
    }
    return { scope: self.scope };
  }

  #selfService(token: VerifiedToken): { scope: string; username: string } | undefined {
    const scope = this.settings.selfServiceScope;
    if (scope === undefined || !token.scopes.has(scope)) return undefined;
    const username = token.claims[this.settings.selfServiceClaims.username];
    return typeof username === "string" ? { scope, username } : undefined;
  }
}

function forbidden(scope: string): HttpError {
  return new HttpError(403, "insufficient_scope", `the token lacks the scope ${scope}`, undefined, {
    "WWW-Authenticate": `Bearer realm="moneypenny", error="insufficient_scope", scope="${scope}"`,
  });
}
