import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ExecutionContext, SerialFn, TestFn } from "ava";
import type { ProvisionerSettings } from "@moneypenny/worker";

export const isRoot = process.getuid?.() === 0;

/**
 * Tests that assert real ownership (chown to other users) need root; CI runs
 * as root. Run as another user, they are skipped, and the reason is this line.
 */
export function asRoot<T>(test: TestFn<T> | SerialFn<T>): TestFn<T>["skip"] {
  return isRoot ? test : test.skip;
}

/** A fresh home root and archive root under a temporary directory. */
export async function provisionerSandbox(t: ExecutionContext, extra: Partial<ProvisionerSettings> = {}): Promise<ProvisionerSettings & { dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), "moneypenny-fs-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const homeRoot = path.join(dir, "homes");
  const archiveRoot = path.join(dir, "archive");
  await mkdir(homeRoot);
  await mkdir(archiveRoot);
  return { dir, homeRoot, archiveRoot, skelDir: undefined, homeMode: 0o700, applyOwnership: isRoot, ...extra };
}
