import { readFile } from "node:fs/promises";
import path from "node:path";
import test from "ava";
import { parse } from "yaml";
import { CONFIG_VARIABLES } from "@moneypenny/shared";

// No Docker engine runs on the CI machines, so this checks what can be checked
// without one: the file parses, and everything it names exists.
const root = path.resolve(import.meta.dirname, "../..");

interface Service {
  build?: { context: string; target: string };
  environment?: Record<string, string>;
  command?: string[];
}

test("docker-compose.yml parses, and names only configuration variables and Dockerfile targets that exist", async (t) => {
  const compose = parse(await readFile(path.join(root, "docker-compose.yml"), "utf8")) as { services: Record<string, Service> };
  const dockerfile = await readFile(path.join(root, "Dockerfile"), "utf8");
  t.deepEqual(Object.keys(compose.services).sort(), ["api", "redis", "worker"]);
  for (const name of ["api", "worker"]) {
    const service = compose.services[name]!;
    t.regex(dockerfile, new RegExp(`^FROM .* AS ${service.build!.target}$`, "m"), `${name}'s build target`);
    for (const variable of Object.keys(service.environment ?? {})) {
      t.true(CONFIG_VARIABLES.includes(variable), `${name}: ${variable} is a configuration variable`);
    }
  }
  const redisCommand = compose.services["redis"]!.command!.join(" ");
  t.regex(redisCommand, /--appendonly yes/);
  t.regex(redisCommand, /--maxmemory-policy noeviction/);
  t.is(compose.services["worker"]!.environment!["MONEYPENNY_EXECUTOR"], "local");
});
