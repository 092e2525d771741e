import type { Redis } from "ioredis";
import { canonicalDossierJson, type Dossier } from "./dossier.js";
import { LuaScript } from "./luaScript.js";
import { orderJobId, type OrderResult } from "./queueContract.js";
import { USER_STATUSES, type UserEvent, type UserRecord, type UserStatus } from "./userRecord.js";

/**
 * What happened when someone asked for an order:
 * - `created`: a new order was recorded; the caller must enqueue `jobId`;
 * - `in-progress`: the same order is already recorded (the caller may enqueue
 *   `jobId` again, which BullMQ ignores if the job exists: this heals an order
 *   whose enqueue was lost to a crash);
 * - `settled`: nothing to do (already active with this dossier);
 * - `conflict`: another order is in progress;
 * - `unknown`: retire for a user with no record.
 */
export type OrderDecision =
  | { kind: "created" | "in-progress"; status: UserStatus; jobId: string; dossier: Dossier }
  | { kind: "settled" | "conflict"; status: UserStatus; jobId: string }
  | { kind: "unknown" };

// Every script that changes the status publishes a UserEvent on ARGV[1], so
// that long polls wake on the change instead of polling.
const PUBLISH = `local function publish(status) redis.call('PUBLISH', ARGV[1], cjson.encode({username = ARGV[2], status = status})) end\n`;

// KEYS: user, sequence. ARGV: channel, username, dossier (canonical JSON), now, job id prefix.
const BEGIN_COMMISSION = new LuaScript(`${PUBLISH}
local status = redis.call('HGET', KEYS[1], 'status')
if status then
  local jobId = redis.call('HGET', KEYS[1], 'job_id')
  local dossier = redis.call('HGET', KEYS[1], 'dossier')
  if status == 'retiring' then return {'conflict', status, jobId} end
  if status == 'commissioning' then
    if dossier == ARGV[3] then return {'in-progress', status, jobId, dossier} end
    return {'conflict', status, jobId}
  end
  if status == 'active' and dossier == ARGV[3] then return {'settled', status, jobId} end
end
local jobId = ARGV[5] .. redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'username', ARGV[2], 'status', 'commissioning', 'order', 'commission',
  'dossier', ARGV[3], 'job_id', jobId, 'attempts', 0, 'last_changed', ARGV[4])
publish('commissioning')
return {'created', 'commissioning', jobId, ARGV[3]}
`);

// KEYS: user, sequence. ARGV: channel, username, now, job id prefix.
const BEGIN_RETIRE = new LuaScript(`${PUBLISH}
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return {'unknown'} end
local jobId = redis.call('HGET', KEYS[1], 'job_id')
local dossier = redis.call('HGET', KEYS[1], 'dossier')
if status == 'commissioning' then return {'conflict', status, jobId} end
if status == 'retiring' then return {'in-progress', status, jobId, dossier} end
jobId = ARGV[4] .. redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'status', 'retiring', 'order', 'retire', 'job_id', jobId, 'attempts', 0, 'last_changed', ARGV[3])
redis.call('HDEL', KEYS[1], 'error')
publish('retiring')
return {'created', 'retiring', jobId, dossier}
`);

// The worker's updates apply only while the job is still the user's current
// order: a stale job (superseded, or retried after the user was retired) must
// never overwrite a newer state.
// KEYS: user. ARGV: channel, username, job id, now, then per script below.
const RECORD_ATTEMPT = new LuaScript(`${PUBLISH}
if redis.call('HGET', KEYS[1], 'job_id') ~= ARGV[3] then return 0 end
local status = redis.call('HGET', KEYS[1], 'order') == 'retire' and 'retiring' or 'commissioning'
local previous = redis.call('HGET', KEYS[1], 'status')
redis.call('HSET', KEYS[1], 'status', status, 'attempts', ARGV[5], 'last_changed', ARGV[4])
if previous ~= status then publish(status) end
return 1
`);

// ARGV[5]: the result as JSON.
const RECORD_SUCCESS = new LuaScript(`${PUBLISH}
if redis.call('HGET', KEYS[1], 'job_id') ~= ARGV[3] then return 0 end
if redis.call('HGET', KEYS[1], 'order') == 'retire' then
  redis.call('DEL', KEYS[1])
  publish('forgotten')
else
  redis.call('HSET', KEYS[1], 'status', 'active', 'result', ARGV[5], 'last_changed', ARGV[4])
  redis.call('HDEL', KEYS[1], 'error')
  publish('active')
end
return 1
`);

// ARGV[5]: the error message; ARGV[6]: '1' when the order has failed for good.
const RECORD_FAILURE = new LuaScript(`${PUBLISH}
if redis.call('HGET', KEYS[1], 'job_id') ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], 'error', ARGV[5], 'last_changed', ARGV[4])
if ARGV[6] == '1' then
  redis.call('HSET', KEYS[1], 'status', 'failed')
  publish('failed')
end
return 1
`);

export class UserRecordStore {
  readonly eventsChannel: string;
  readonly #sequenceKey: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.eventsChannel = `${prefix}:user-events`;
    this.#sequenceKey = `${prefix}:order-sequence`;
  }

  #key(username: string): string {
    return `${this.prefix}:user:${username}`;
  }

  async get(username: string): Promise<UserRecord | undefined> {
    const hash = await this.redis.hgetall(this.#key(username));
    return hash["status"] === undefined ? undefined : parseRecord(hash);
  }

  async beginCommission(dossier: Dossier, now = new Date()): Promise<OrderDecision> {
    const reply = await BEGIN_COMMISSION.run(
      this.redis,
      [this.#key(dossier.username), this.#sequenceKey],
      [this.eventsChannel, dossier.username, canonicalDossierJson(dossier), now.toISOString(), orderJobId("commission", dossier.username, "")],
    );
    return parseDecision(reply);
  }

  async beginRetire(username: string, now = new Date()): Promise<OrderDecision> {
    const reply = await BEGIN_RETIRE.run(
      this.redis,
      [this.#key(username), this.#sequenceKey],
      [this.eventsChannel, username, now.toISOString(), orderJobId("retire", username, "")],
    );
    return parseDecision(reply);
  }

  /** Marks an attempt as started; false when the job is no longer the user's current order. */
  async recordAttempt(username: string, jobId: string, attempt: number, now = new Date()): Promise<boolean> {
    return (await this.#update(RECORD_ATTEMPT, username, jobId, now, [attempt])) === 1;
  }

  /** A commission makes the user `active`; a retire forgets the user. */
  async recordSuccess(username: string, jobId: string, result: OrderResult, now = new Date()): Promise<boolean> {
    return (await this.#update(RECORD_SUCCESS, username, jobId, now, [JSON.stringify(result)])) === 1;
  }

  /** Records why an attempt failed; `final` moves the user to `failed`. */
  async recordFailure(username: string, jobId: string, error: string, final: boolean, now = new Date()): Promise<boolean> {
    return (await this.#update(RECORD_FAILURE, username, jobId, now, [error, final ? "1" : "0"])) === 1;
  }

  #update(script: LuaScript, username: string, jobId: string, now: Date, extra: readonly (string | number)[]): Promise<unknown> {
    return script.run(this.redis, [this.#key(username)], [this.eventsChannel, username, jobId, now.toISOString(), ...extra]);
  }
}

export function parseUserEvent(message: string): UserEvent | undefined {
  try {
    const event = JSON.parse(message) as Partial<UserEvent>;
    return typeof event.username === "string" && typeof event.status === "string" ? (event as UserEvent) : undefined;
  } catch {
    return undefined;
  }
}

function parseDecision(reply: unknown): OrderDecision {
  const [kind, status, jobId, dossier] = reply as [string, string?, string?, string?];
  if (kind === "unknown") return { kind };
  const userStatus = asStatus(status);
  if ((kind === "created" || kind === "in-progress") && dossier !== undefined && jobId !== undefined) {
    return { kind, status: userStatus, jobId, dossier: JSON.parse(dossier) as Dossier };
  }
  if ((kind === "settled" || kind === "conflict") && jobId !== undefined) return { kind, status: userStatus, jobId };
  throw new Error(`unexpected reply from the user record store: ${JSON.stringify(reply)}`);
}

function asStatus(value: string | undefined): UserStatus {
  if (USER_STATUSES.includes(value as UserStatus)) return value as UserStatus;
  throw new Error(`corrupt user record: unknown status ${JSON.stringify(value)}`);
}

function parseRecord(hash: Record<string, string>): UserRecord {
  const record: UserRecord = {
    username: hash["username"] ?? "",
    status: asStatus(hash["status"]),
    lastChanged: hash["last_changed"] ?? "",
    dossier: JSON.parse(hash["dossier"] ?? "null") as Dossier,
    jobId: hash["job_id"] ?? "",
    order: hash["order"] === "retire" ? "retire" : "commission",
    attempts: Number(hash["attempts"] ?? 0),
  };
  if (hash["error"] !== undefined) record.error = hash["error"];
  if (hash["result"] !== undefined) record.result = JSON.parse(hash["result"]) as OrderResult;
  return record;
}
