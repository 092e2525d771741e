#!/usr/bin/env node
/**
 * The provisioner as a command, for running an order outside the worker (the
 * Kubernetes executor's container entrypoint, or by hand):
 *
 *   moneypenny-provision commission|retire
 *
 * The dossier comes from $MONEYPENNY_DOSSIER (JSON text), else from the file
 * $MONEYPENNY_DOSSIER_FILE (default /opt/dossier/dossier.json). Settings are
 * the worker's variables (MONEYPENNY_HOME_ROOT, ...). It prints one JSON line,
 * {"ok":true,"result":{...}} or {"ok":false,"permanent":...,"message":"..."},
 * and exits 0 on success, 1 on a permanent failure, 75 (EX_TEMPFAIL) on one
 * worth retrying, 64 (EX_USAGE) on bad input.
 */
import { readFile } from "node:fs/promises";
import { ConfigError, dossierSchema, loadWorkerConfig, ORDERS, type OrderName } from "@moneypenny/shared";
import { provision } from "./provision.js";
import { ProvisionError } from "./provisionError.js";
import { provisionerSettings } from "./provisionerSettings.js";

const EX_USAGE = 64;
const EX_TEMPFAIL = 75;

function answer(body: object, code: number): never {
  process.stdout.write(`${JSON.stringify(body)}\n`);
  process.exit(code);
}

async function readDossierText(): Promise<string> {
  const inline = process.env["MONEYPENNY_DOSSIER"];
  if (inline !== undefined && inline !== "") return inline;
  const file = process.env["MONEYPENNY_DOSSIER_FILE"] || "/opt/dossier/dossier.json";
  return readFile(file, "utf8");
}

async function main(): Promise<void> {
  const order = process.argv[2];
  if (!ORDERS.includes(order as OrderName)) {
    answer({ ok: false, permanent: true, message: `usage: moneypenny-provision ${ORDERS.join("|")}` }, EX_USAGE);
  }
  let config;
  try {
    config = loadWorkerConfig();
  } catch (error) {
    if (error instanceof ConfigError) answer({ ok: false, permanent: true, message: error.message }, EX_USAGE);
    throw error;
  }
  let dossier;
  try {
    const parsed = dossierSchema(config.identity).safeParse(JSON.parse(await readDossierText()));
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${issue?.path.join(".") || "dossier"}: ${issue?.message ?? "invalid"}`);
    }
    dossier = parsed.data;
  } catch (error) {
    answer({ ok: false, permanent: true, message: `bad dossier: ${(error as Error).message}` }, EX_USAGE);
  }
  try {
    const result = await provision(order as OrderName, dossier, provisionerSettings(config));
    answer({ ok: true, result }, 0);
  } catch (error) {
    const failure = error instanceof ProvisionError ? error : new ProvisionError(String(error), false);
    answer({ ok: false, permanent: failure.permanent, message: failure.message }, failure.permanent ? 1 : EX_TEMPFAIL);
  }
}

await main();
