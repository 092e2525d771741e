import test from "ava";
import { Deployment, TEST_SECRET } from "../helpers/deployment.js";
import { exitOf, spawnTs } from "../helpers/processes.js";
import { RedisServer } from "../helpers/redisServer.js";

let redis: RedisServer;
let mp: Deployment;
test.before(async () => {
  redis = await RedisServer.start();
  mp = await Deployment.start(redis);
});
test.after.always(async () => {
  await mp?.stop();
  await redis?.stop();
});

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnTs("api/src/cli/main.ts", { MONEYPENNY_URL: mp.api.url, MONEYPENNY_TOKEN: mp.token, ...env }, args);
  child.stdin!.end();
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const { code } = await exitOf(child);
  return { code, stdout, stderr };
}

// Serial: they share one deployment and follow one user through its life.
test.serial("users commission --wait, show, retire --wait: exit codes and --json output", async (t) => {
  const commissioned = await cli(["--json", "users", "commission", "--username", "cli1", "--uid", "5100", "--group", "lab:3300", "--wait"]);
  t.is(commissioned.code, 0, commissioned.stderr);
  t.like(JSON.parse(commissioned.stdout), { username: "cli1", status: "active", uid: 5100, gid: 5100, groups: [{ name: "lab", id: 3300 }] });
  t.regex(commissioned.stderr, /cli1: (commissioning|active)/, "progress while waiting");

  const shown = await cli(["users", "show", "cli1"]);
  t.is(shown.code, 0);
  t.regex(shown.stdout, /status\s+active/);

  const unknown = await cli(["users", "show", "nobody"]);
  t.is(unknown.code, 1);
  t.regex(unknown.stderr, /404: Unknown user nobody/);

  const retired = await cli(["--json", "users", "retire", "cli1", "--wait"]);
  t.is(retired.code, 0, retired.stderr);
  t.deepEqual(JSON.parse(retired.stdout), { username: "cli1", status: "forgotten" });
});

test.serial("jobs list, show, retry one and all failed", async (t) => {
  mp.executor!.failWith = { permanent: true, message: "no such volume", times: 2 };
  const failed = await cli(["--json", "users", "commission", "--username", "cli2", "--uid", "5200", "--wait"]);
  t.is(failed.code, 1, "the order failed");
  t.like(JSON.parse(failed.stdout), { status: "failed" });
  await cli(["users", "commission", "--username", "cli3", "--uid", "5300", "--wait"]);

  const listed = await cli(["--json", "jobs", "list", "--state", "failed"]);
  t.is(listed.code, 0);
  const ids = (JSON.parse(listed.stdout) as { jobs: { id: string }[] }).jobs.map((j) => j.id).sort();
  t.deepEqual(ids.length, 2);
  const human = await cli(["jobs", "list", "--state", "failed", "--order", "commission"]);
  t.regex(human.stdout, /^ID\s+ORDER\s+USERNAME\s+STATE/m);

  const shown = await cli(["--json", "jobs", "show", ids[0]!]);
  t.like(JSON.parse(shown.stdout), { id: ids[0], state: "failed" });

  const one = await cli(["jobs", "retry", ids[0]!]);
  t.is(one.code, 0, one.stderr);
  t.regex(one.stdout, /retried 1 job$/m);
  const again = await cli(["jobs", "retry", "nothing-9"]);
  t.is(again.code, 1);
  t.regex(again.stderr, /404/);

  const none = await cli(["--json", "jobs", "retry", "--all-failed", "--older-than", "2000-01-01T00:00:00Z"]);
  t.deepEqual(JSON.parse(none.stdout), { retried: 0 });
  const all = await cli(["--json", "jobs", "retry", "--all-failed", "--order", "commission"]);
  t.is(all.code, 0);
  t.deepEqual(JSON.parse(all.stdout), { retried: 1 }, "the one still failed");
});

test.serial("token mint signs with the development secret; without a token the API's 401 is the error", async (t) => {
  const minted = await cli(["token", "mint", "--scope", "admin:provision"], { MONEYPENNY_AUTH_SECRET: TEST_SECRET });
  t.is(minted.code, 0);
  const token = minted.stdout.trim();
  const shown = await cli(["users", "show", "nobody"], { MONEYPENNY_TOKEN: token });
  t.regex(shown.stderr, /404/, "the minted token is accepted");
  const refused = await cli(["users", "show", "nobody"], { MONEYPENNY_TOKEN: "" });
  t.is(refused.code, 1);
  t.regex(refused.stderr, /401: an Authorization: Bearer token is required/);
  const noSecret = await cli(["token", "mint"]);
  t.is(noSecret.code, 1);
  t.regex(noSecret.stderr, /MONEYPENNY_AUTH_SECRET/);
});
