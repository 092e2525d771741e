import { stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { isRoot, provisionerSandbox } from "../helpers/filesystem.js";
import { exitOf, spawnTs } from "../helpers/processes.js";

// The provisioner as a command: what a Kubernetes Job's container will run.
async function run(order: string, env: Record<string, string>): Promise<{ code: number | null; answer: Record<string, unknown> }> {
  const child = spawnTs("worker/src/provisioner/cli.ts", env, [order]);
  child.stdin!.end();
  let stdout = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const { code } = await exitOf(child);
  return { code, answer: JSON.parse(stdout) as Record<string, unknown> };
}

test("commission from $MONEYPENNY_DOSSIER, then retire from a dossier file; one JSON line each", async (t) => {
  const s = await provisionerSandbox(t);
  const env = { MONEYPENNY_HOME_ROOT: s.homeRoot, MONEYPENNY_ARCHIVE_ROOT: s.archiveRoot };
  const dossier = JSON.stringify({ username: "ivan", uid: 2700, groups: [] });

  const created = await run("commission", { ...env, MONEYPENNY_DOSSIER: dossier });
  t.is(created.code, 0);
  t.like(created.answer, { ok: true, result: { action: "created", username: "ivan" } });
  const home = await stat(path.join(s.homeRoot, "ivan"));
  t.is(home.mode & 0o7777, 0o700);
  if (isRoot) t.is(home.uid, 2700);

  const file = path.join(s.dir, "dossier.json");
  await writeFile(file, dossier);
  const retired = await run("retire", { ...env, MONEYPENNY_DOSSIER_FILE: file });
  t.is(retired.code, 0);
  t.like(retired.answer, { ok: true, result: { action: "archived" } });
});

test("exit codes: 64 for a bad dossier or order, 1 for a permanent failure", async (t) => {
  const s = await provisionerSandbox(t);
  const env = { MONEYPENNY_HOME_ROOT: s.homeRoot, MONEYPENNY_ARCHIVE_ROOT: s.archiveRoot };
  const bad = await run("commission", { ...env, MONEYPENNY_DOSSIER: JSON.stringify({ username: "..", uid: 2700, groups: [] }) });
  t.is(bad.code, 64);
  t.regex(String(bad.answer["message"]), /username/);

  const noOrder = await run("delete", { ...env, MONEYPENNY_DOSSIER: "{}" });
  t.is(noOrder.code, 64);

  await symlink("/etc", path.join(s.homeRoot, "ivan"));
  const refused = await run("commission", { ...env, MONEYPENNY_DOSSIER: JSON.stringify({ username: "ivan", uid: 2700, groups: [] }) });
  t.is(refused.code, 1);
  t.like(refused.answer, { ok: false, permanent: true });
  t.regex(String(refused.answer["message"]), /symbolic link/);
});
