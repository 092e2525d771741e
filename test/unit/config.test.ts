import test from "ava";
import { CONFIG_VARIABLES, ConfigError, loadApiConfig, loadWorkerConfig } from "@moneypenny/shared";

const secret = "s".repeat(32);

test("defaults are the documented ones", (t) => {
  const api = loadApiConfig({ MONEYPENNY_AUTH_SECRET: secret });
  t.is(api.redisUrl, "redis://127.0.0.1:6379");
  t.is(api.port, 8080);
  t.is(api.queue.prefix, "{moneypenny}");
  t.is(api.queue.attempts, 5);
  t.is(api.auth.provisionScope, "admin:provision");
  t.is(api.auth.operationsScope, "admin:provision");
  t.deepEqual(api.auth.keySource, { kind: "secret", secret });
  t.is(api.waitTimeoutSeconds, 300);
  t.false(api.trustProxy);
  t.is(api.maxBodyBytes, 65536);
  t.is(api.identity.minId, 1000);
  t.is(api.identity.maxId, 2 ** 31 - 1);
  const worker = loadWorkerConfig({});
  t.is(worker.executor, "local");
  t.is(worker.homeMode, 0o700);
  t.true(worker.homeRoot.endsWith(".data/homes"));
});

test("one error names every bad variable", (t) => {
  const error = t.throws(
    () =>
      loadApiConfig({
        MONEYPENNY_PORT: "eighty",
        REDIS_URL: "http://nope",
        MONEYPENNY_TRUST_PROXY: "maybe",
        MONEYPENNY_WAIT_TIMEOUT: "-3",
        MONEYPENNY_USERNAME_PATTERN: "([",
      }),
    { instanceOf: ConfigError },
  );
  for (const name of ["MONEYPENNY_PORT", "REDIS_URL", "MONEYPENNY_TRUST_PROXY", "MONEYPENNY_WAIT_TIMEOUT", "MONEYPENNY_USERNAME_PATTERN", "MONEYPENNY_AUTH_SECRET"]) {
    t.true(error.message.includes(name), `${name} is named in: ${error.message}`);
  }
});

test("worker variables are checked too", (t) => {
  const error = t.throws(() => loadWorkerConfig({ MONEYPENNY_EXECUTOR: "docker", MONEYPENNY_HOME_MODE: "0999", MONEYPENNY_WORKER_CONCURRENCY: "0" }), {
    instanceOf: ConfigError,
  });
  t.regex(error.message, /MONEYPENNY_EXECUTOR/);
  t.regex(error.message, /MONEYPENNY_HOME_MODE/);
  t.regex(error.message, /MONEYPENNY_WORKER_CONCURRENCY/);
  t.is(loadWorkerConfig({ MONEYPENNY_HOME_MODE: "0750" }).homeMode, 0o750);
});

test("a minimum id above the maximum is refused", (t) => {
  t.throws(() => loadWorkerConfig({ MONEYPENNY_MIN_ID: "5000", MONEYPENNY_MAX_ID: "4000" }), { message: /MONEYPENNY_MIN_ID/ });
});

test("README documents every configuration variable", async (t) => {
  const { readFile } = await import("node:fs/promises");
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  // A row may name a family: `MONEYPENNY_KEEP_FAILED_SECONDS` / `_COUNT` stands for MONEYPENNY_KEEP_FAILED_COUNT too.
  const names = new Set([...readme.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));
  for (const row of readme.matchAll(/`([A-Z][A-Z0-9_]+)`((?: \/ `_[A-Z0-9_]+`)+)/g)) {
    const base = row[1]!.split("_");
    for (const suffix of row[2]!.matchAll(/`_([A-Z0-9_]+)`/g)) {
      const parts = suffix[1]!.split("_");
      names.add([...base.slice(0, base.length - parts.length), ...parts].join("_"));
    }
  }
  const documented = (name: string) => names.has(name);
  t.deepEqual(CONFIG_VARIABLES.filter((name) => !documented(name)), []);
});
