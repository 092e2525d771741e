import type { Group, OrderResult, UserRecord, UserStatus } from "@moneypenny/shared";

/** The user status as the API answers it (the old Moneypenny's fields, plus a few). */
export interface UserStatusView {
  username: string;
  status: UserStatus;
  last_changed: string;
  uid: number;
  gid: number;
  groups: Group[];
  job_id: string;
  error?: string;
  result?: OrderResult;
}

export function userStatusView(record: UserRecord): UserStatusView {
  return {
    username: record.username,
    status: record.status,
    last_changed: record.lastChanged,
    uid: record.dossier.uid,
    gid: record.dossier.gid,
    groups: record.dossier.groups,
    job_id: record.jobId,
    ...(record.error === undefined ? {} : { error: record.error }),
    ...(record.result === undefined ? {} : { result: record.result }),
  };
}
