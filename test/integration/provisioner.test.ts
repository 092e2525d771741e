import { execFileSync } from "node:child_process";
import { chmod, chown, lstat, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { commission, ProvisionError, retire } from "@moneypenny/worker";
import { asRoot, isRoot, provisionerSandbox } from "../helpers/filesystem.js";
import { exitOf, spawnTs } from "../helpers/processes.js";

const alice = { username: "alice", uid: 2001, gid: 2002, groups: [] };

asRoot(test)("commission creates the home with the user's uid, gid and mode 0700", async (t) => {
  const s = await provisionerSandbox(t);
  const result = await commission(alice, s);
  t.is(result.action, "created");
  t.deepEqual(result.warnings, []);
  const home = await stat(path.join(s.homeRoot, "alice"));
  t.true(home.isDirectory());
  t.is(home.uid, 2001);
  t.is(home.gid, 2002);
  t.is(home.mode & 0o7777, 0o700);
  t.deepEqual(await readdir(s.homeRoot), ["alice"], "no staging directory is left behind");
});

// Serial: the umask is process-wide, and ava runs the other tests of this file concurrently.
asRoot(test.serial)("the home mode is configurable and not bent by the umask", async (t) => {
  const s = await provisionerSandbox(t, { homeMode: 0o750 });
  const old = process.umask(0o077);
  try {
    await commission(alice, s);
  } finally {
    process.umask(old);
  }
  t.is((await stat(path.join(s.homeRoot, "alice"))).mode & 0o7777, 0o750);
});

asRoot(test)("a skeleton is copied, owned by the user; links are copied as links, FIFOs skipped, set-id bits dropped", async (t) => {
  const s = await provisionerSandbox(t);
  const skel = path.join(s.dir, "skel");
  await mkdir(path.join(skel, ".config"), { recursive: true });
  await writeFile(path.join(skel, ".bashrc"), "# hello\n", { mode: 0o644 });
  await writeFile(path.join(skel, "setuid"), "x", { mode: 0o4755 });
  await writeFile(path.join(skel, ".config", "app.conf"), "k=v\n");
  await symlink("/etc/passwd", path.join(skel, "link"));
  execFileSync("mkfifo", [path.join(skel, "pipe")]);
  const result = await commission(alice, { ...s, skelDir: skel });
  const home = path.join(s.homeRoot, "alice");
  t.is(await readFile(path.join(home, ".bashrc"), "utf8"), "# hello\n");
  t.is(await readFile(path.join(home, ".config", "app.conf"), "utf8"), "k=v\n");
  for (const entry of [".bashrc", ".config", ".config/app.conf", "link"]) {
    const st = await lstat(path.join(home, entry));
    t.is(st.uid, 2001, entry);
    t.is(st.gid, 2002, entry);
  }
  t.true((await lstat(path.join(home, "link"))).isSymbolicLink());
  t.is((await stat("/etc/passwd")).uid, 0, "the link's target was not chowned");
  t.is((await stat(path.join(home, "setuid"))).mode & 0o7777, 0o755);
  t.false((await readdir(home)).includes("pipe"));
  t.true(result.warnings.some((w) => w.includes("pipe")));
});

asRoot(test)("an existing home owned by the user is left alone", async (t) => {
  const s = await provisionerSandbox(t);
  const home = path.join(s.homeRoot, "alice");
  await mkdir(home, { mode: 0o755 });
  await writeFile(path.join(home, "notes.txt"), "mine");
  await chown(home, 2001, 2002);
  const result = await commission(alice, s);
  t.is(result.action, "already-existed");
  t.regex(result.message, /already existed/);
  t.is((await stat(home)).mode & 0o777, 0o755, "mode unchanged");
  t.is(await readFile(path.join(home, "notes.txt"), "utf8"), "mine");
});

asRoot(test)("an empty home with the wrong owner is given to the user, with a warning", async (t) => {
  const s = await provisionerSandbox(t);
  const home = path.join(s.homeRoot, "alice");
  await mkdir(home);
  await chown(home, 4444, 4444);
  const result = await commission(alice, s);
  t.is(result.action, "owner-fixed");
  t.regex(result.warnings.join(" "), /owned by uid 4444/);
  const st = await stat(home);
  t.is(st.uid, 2001);
  t.is(st.gid, 2002);
});

asRoot(test)("the owner is uid and gid: a home with the user's uid but another group is refused if not empty, fixed if empty", async (t) => {
  const s = await provisionerSandbox(t);
  const home = path.join(s.homeRoot, "alice");
  await mkdir(home);
  await writeFile(path.join(home, "file"), "x");
  await chown(home, 2001, 9999);
  const error = await t.throwsAsync(commission(alice, s), { instanceOf: ProvisionError });
  t.regex(error.message, /uid 2001 gid 9999/);
  await rm(path.join(home, "file"));
  await chmod(home, 0o777);
  const fixed = await commission(alice, s);
  t.is(fixed.action, "owner-fixed");
  const st = await stat(home);
  t.is(st.gid, 2002);
  t.is(st.mode & 0o7777, 0o700, "the mode is set too");
});

asRoot(test)("EPERM on chown is a permanent failure that names missing privilege and root squash, and leaves nothing behind", async (t) => {
  const s = await provisionerSandbox(t);
  await chmod(s.dir, 0o755);
  await chown(s.homeRoot, 65534, 65534);
  // The provisioner, with ownership on, as an unprivileged user: chown really fails.
  const child = spawnTs("test/fixtures/commissionAs.ts", {}, [JSON.stringify({ ...s, applyOwnership: true }), JSON.stringify(alice)], ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]);
  let stdout = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  await exitOf(child);
  const answer = JSON.parse(stdout) as { permanent: boolean; message: string };
  t.true(answer.permanent);
  t.regex(answer.message, /EPERM/);
  t.regex(answer.message, /root_squash/);
  t.regex(answer.message, /privilege/);
  t.deepEqual(await readdir(s.homeRoot), [], "no staging directory left behind");
});

asRoot(test)("a non-empty home with the wrong owner is refused for good, naming the owner", async (t) => {
  const s = await provisionerSandbox(t);
  const home = path.join(s.homeRoot, "alice");
  await mkdir(home);
  await writeFile(path.join(home, "secret"), "not alice's");
  await chown(home, 4444, 4445);
  const error = await t.throwsAsync(commission(alice, s), { instanceOf: ProvisionError });
  t.true(error.permanent);
  t.regex(error.message, /uid 4444 gid 4445/);
  t.is((await stat(home)).uid, 4444, "nothing changed");
});

test("a symbolic link at the home path is refused and not followed", async (t) => {
  const s = await provisionerSandbox(t);
  const elsewhere = path.join(s.dir, "elsewhere");
  await mkdir(elsewhere);
  const before = await stat(elsewhere);
  await symlink(elsewhere, path.join(s.homeRoot, "alice"));
  const error = await t.throwsAsync(commission(alice, s), { instanceOf: ProvisionError });
  t.true(error.permanent);
  t.regex(error.message, /symbolic link/);
  const after = await stat(elsewhere);
  t.is(after.uid, before.uid);
  t.is(after.mode, before.mode);
  await t.throwsAsync(retire(alice, s), { message: /symbolic link/ });
});

test("a file at the home path is refused", async (t) => {
  const s = await provisionerSandbox(t);
  await writeFile(path.join(s.homeRoot, "alice"), "a file");
  const error = await t.throwsAsync(commission(alice, s), { instanceOf: ProvisionError });
  t.true(error.permanent);
  t.regex(error.message, /not a directory/);
});

test("names that would leave the home root are refused before touching anything", async (t) => {
  const s = await provisionerSandbox(t);
  for (const username of ["..", "../escape", "a/b", ".", "", ".hidden", "a\0b"]) {
    const error = await t.throwsAsync(commission({ ...alice, username }, s), { instanceOf: ProvisionError }, username);
    t.true(error.permanent);
  }
  t.deepEqual(await readdir(s.homeRoot), []);
  t.deepEqual((await readdir(s.dir)).sort(), ["archive", "homes"]);
});

test("a missing home root is a permanent failure that names the variable", async (t) => {
  const s = await provisionerSandbox(t);
  const error = await t.throwsAsync(commission(alice, { ...s, homeRoot: path.join(s.dir, "nope") }), { instanceOf: ProvisionError });
  t.true(error.permanent);
  t.regex(error.message, /MONEYPENNY_HOME_ROOT .* does not exist/);
});

test("a staging directory left by a crash is cleared and the home built afresh", async (t) => {
  const s = await provisionerSandbox(t);
  const staging = path.join(s.homeRoot, ".moneypenny-staging-alice");
  await mkdir(staging);
  await writeFile(path.join(staging, "half-copied"), "x");
  await commission(alice, s);
  t.deepEqual(await readdir(s.homeRoot), ["alice"]);
  t.deepEqual(await readdir(path.join(s.homeRoot, "alice")), []);
});

test("without root, the home is created for the current user and every result says ownership was not applied", async (t) => {
  const s = await provisionerSandbox(t, { applyOwnership: false });
  const result = await commission(alice, s);
  t.regex(result.warnings.join(" "), /ownership not applied/);
  const again = await commission(alice, s);
  t.is(again.action, "already-existed");
  t.regex(again.warnings.join(" "), /ownership not applied/);
});

test("retire moves the home into the archive with a UTC timestamp; again, there is nothing to do", async (t) => {
  const s = await provisionerSandbox(t);
  await commission(alice, s);
  await writeFile(path.join(s.homeRoot, "alice", "work.txt"), "keep me");
  const now = new Date("2026-12-04T10:20:30.456Z");
  const result = await retire(alice, s, now);
  t.is(result.action, "archived");
  const archived = path.join(s.archiveRoot, "alice-20261204T102030Z");
  t.is(result.path, archived);
  t.is(await readFile(path.join(archived, "work.txt"), "utf8"), "keep me");
  t.deepEqual(await readdir(s.homeRoot), []);
  if (isRoot) t.is((await stat(archived)).uid, 2001, "ownership kept");
  const again = await retire(alice, s, now);
  t.is(again.action, "absent");

  // A second retire in the same second gets a name of its own.
  await commission(alice, s);
  const second = await retire(alice, s, now);
  t.is(second.path, `${archived}-2`);
});
