import { stat } from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { Deployment } from "../helpers/deployment.js";
import { RedisServer } from "../helpers/redisServer.js";

let redis: RedisServer;
test.before(async () => {
  redis = await RedisServer.start();
});
test.after.always(async () => {
  await redis?.stop();
});

test("a commission runs end to end: 303, then wait, then active with the home on disk", async (t) => {
  const mp = await Deployment.start(redis);
  t.teardown(() => mp.stop());
  const dossier = { username: "alice", uid: 2001, groups: [{ name: "alice", id: 2001 }, { name: "science", id: 3000 }] };

  const posted = await mp.request("POST", "/moneypenny/users", { body: dossier });
  t.is(posted.status, 303);
  t.is(posted.headers.get("location"), `${mp.api.url}/moneypenny/users/alice`);

  const waited = await mp.request("GET", "/moneypenny/users/alice/wait");
  t.is(waited.status, 307);
  const status = await (await mp.request("GET", "/moneypenny/users/alice")).json();
  t.like(status, { username: "alice", status: "active", uid: 2001, gid: 2001 });

  const home = await stat(path.join(mp.homeRoot, "alice"));
  t.true(home.isDirectory());
  t.is(home.mode & 0o7777, 0o700);
  if (process.getuid?.() === 0) {
    t.is(home.uid, 2001);
    t.is(home.gid, 2001);
  }
});
